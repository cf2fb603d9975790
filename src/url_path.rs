//! A name as one segment of a URL path (`/dm/<name>`), the same on the server and in the
//! browser: every byte but the unreserved ones (RFC 3986) percent-encoded.

/// `s` as one path segment.
pub fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_unreserved_bytes_stay() {
        assert_eq!(super::segment("ann-B_2.~"), "ann-B_2.~");
        assert_eq!(super::segment("a b/c?d#é"), "a%20b%2Fc%3Fd%23%C3%A9");
    }
}
