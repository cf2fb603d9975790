//! What every request and socket passes through before the chat sees it: the accept loop
//! (`serve`) and which connections it takes (`admission`), open sockets by user
//! (`connections`), rate limits (`limits`), security headers and the cross-site check
//! (`headers`), and who is speaking (`session`: the cookie or Bearer token).

pub mod admission;
pub mod connections;
pub mod headers;
pub mod limits;
pub mod serve;
pub mod session;
