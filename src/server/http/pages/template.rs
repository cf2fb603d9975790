//! A rendered page kept with a hole wherever its script nonce goes (and, for a room's
//! readers, wherever the reader's own part goes), so each response gets a nonce and a reader
//! of its own without rendering or compressing the page again.
//!
//! The gzip body is prepared once: each piece between two holes is deflated on its own
//! (a full flush after each resets the compressor's history, so no back-reference crosses
//! a hole), and a response puts what fills each hole between the pieces as uncompressed
//! (stored) deflate blocks. Only the CRC-32 of the whole body is computed per response.

use bytes::{BufMut, Bytes, BytesMut};
use flate2::{Compress, Compression, FlushCompress, Status};

/// The gzip header: deflate, no name or time, unknown OS.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff];

pub struct Template {
    /// The page split at each hole.
    pieces: Vec<Bytes>,
    /// Each piece as deflate blocks: byte-aligned, the last one final.
    deflated: Vec<Bytes>,
    /// What goes in each hole: an index into the marks the page was split at.
    holes: Vec<usize>,
}

impl Template {
    /// Splits `html` at every occurrence of each of `marks` (the values it was rendered
    /// with: its nonce, a placeholder for the reader's part, …).
    pub fn new(html: &[u8], marks: &[&[u8]]) -> Self {
        let mut pieces = Vec::new();
        let mut holes = Vec::new();
        let mut rest = html;
        while let Some((at, mark)) = marks
            .iter()
            .enumerate()
            .filter(|(_, m)| !m.is_empty())
            .filter_map(|(i, m)| Some((rest.windows(m.len()).position(|w| w == *m)?, i)))
            .min()
        {
            pieces.push(Bytes::copy_from_slice(&rest[..at]));
            holes.push(mark);
            rest = &rest[at + marks[mark].len()..];
        }
        pieces.push(Bytes::copy_from_slice(rest));
        let mut compress = Compress::new(Compression::default(), false);
        let last = pieces.len() - 1;
        let deflated = pieces
            .iter()
            .enumerate()
            .map(|(i, piece)| {
                let flush = if i == last {
                    FlushCompress::Finish
                } else {
                    FlushCompress::Full
                };
                deflate(&mut compress, piece, flush)
            })
            .collect();
        Self {
            pieces,
            deflated,
            holes,
        }
    }

    /// How many holes `mark` left.
    pub fn holes(&self, mark: usize) -> usize {
        self.holes.iter().filter(|&&m| m == mark).count()
    }

    /// The page with `fills[m]` in every hole of mark `m`.
    pub fn html(&self, fills: &[&[u8]]) -> Bytes {
        let len = self.pieces.iter().map(Bytes::len).sum::<usize>()
            + self.holes.iter().map(|&m| fills[m].len()).sum::<usize>();
        let mut out = BytesMut::with_capacity(len);
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                out.put_slice(fills[self.holes[i - 1]]);
            }
            out.put_slice(piece);
        }
        out.freeze()
    }

    /// The same, gzipped: the fills go in as they are (stored blocks).
    pub fn gzip(&self, fills: &[&[u8]]) -> Bytes {
        let filled: usize = self.holes.iter().map(|&m| fills[m].len()).sum();
        let len = GZIP_HEADER.len()
            + self.deflated.iter().map(Bytes::len).sum::<usize>()
            + self.holes.len() * 5
            + filled
            + filled / STORED_MAX * 5
            + 8;
        let mut out = BytesMut::with_capacity(len);
        out.put_slice(&GZIP_HEADER);
        let mut crc = crc32fast::Hasher::new();
        let mut size: usize = 0;
        for (i, (piece, deflated)) in self.pieces.iter().zip(&self.deflated).enumerate() {
            if i > 0 {
                let fill = fills[self.holes[i - 1]];
                stored_blocks(&mut out, fill);
                crc.update(fill);
                size += fill.len();
            }
            out.put_slice(deflated);
            crc.update(piece);
            size += piece.len();
        }
        out.put_u32_le(crc.finalize());
        out.put_u32_le(size as u32);
        out.freeze()
    }
}

/// The most a stored block holds.
const STORED_MAX: usize = 65_535;

/// `data` as non-final stored blocks, at a byte boundary (none for nothing).
fn stored_blocks(out: &mut BytesMut, data: &[u8]) {
    for chunk in data.chunks(STORED_MAX) {
        stored_block(out, chunk);
    }
}

/// A non-final stored block holding `data` (at most 65,535 bytes), at a byte boundary.
fn stored_block(out: &mut BytesMut, data: &[u8]) {
    let len = data.len() as u16;
    out.put_u8(0); // BFINAL = 0, BTYPE = 00, then padding to the byte.
    out.put_u16_le(len);
    out.put_u16_le(!len);
    out.put_slice(data);
}

fn deflate(compress: &mut Compress, mut input: &[u8], flush: FlushCompress) -> Bytes {
    let mut out = Vec::with_capacity(input.len() / 3 + 64);
    loop {
        if out.capacity() - out.len() < 64 {
            out.reserve(out.capacity().max(1024));
        }
        let before_in = compress.total_in();
        let status = compress
            .compress_vec(input, &mut out, flush)
            .expect("deflating to memory");
        input = &input[(compress.total_in() - before_in) as usize..];
        let room_left = out.capacity() > out.len();
        match status {
            Status::StreamEnd => break,
            _ if input.is_empty() && room_left && !matches!(flush, FlushCompress::Finish) => break,
            _ => {}
        }
    }
    out.into()
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .expect("a valid gzip stream");
        out
    }

    #[test]
    fn every_response_gets_its_own_nonce_in_plain_and_gzip() {
        // Text that repeats across the holes, so a back-reference over a hole would show.
        let body = "<p>hello world</p><script>hydrate('x', 'y')</script>".repeat(50);
        let html = format!(
            "<head><script nonce=\"N0NCE\">{body}</script></head>{body}<script nonce=\"N0NCE\">\
             hydrate('x', 'y')</script>{body}"
        );
        let t = Template::new(html.as_bytes(), &[b"N0NCE"]);
        for nonce in ["abcdefghijklmnopqrstuv", "ZYXWVUTSRQPONMLKJIHGFE", ""] {
            let want = html.replace("N0NCE", nonce);
            assert_eq!(&t.html(&[nonce.as_bytes()])[..], want.as_bytes());
            let gz = t.gzip(&[nonce.as_bytes()]);
            assert_eq!(gunzip(&gz), want.as_bytes());
            assert!(gz.len() < want.len() / 4, "still compressed: {}", gz.len());
        }
    }

    #[test]
    fn pages_without_a_nonce_and_large_pages_survive() {
        let t = Template::new(b"<p>no scripts</p>", &[b"N0NCE"]);
        assert_eq!(gunzip(&t.gzip(&[b"x"])), b"<p>no scripts</p>");
        let big: String = (0..20_000).map(|i| format!("<li>{i}</li>")).collect();
        let html = format!("<head nonce=\"Q\">{big}</head><script nonce=\"Q\"></script>");
        let t = Template::new(html.as_bytes(), &[b"Q"]);
        assert_eq!(
            gunzip(&t.gzip(&[b"nonce1"])),
            html.replace('Q', "nonce1").as_bytes()
        );
    }

    #[test]
    fn each_kind_of_hole_gets_its_own_fill_even_a_big_one() {
        let html = "<script nonce=\"N\">a</script><nav>SIDE</nav><p>x</p>\
                    <script nonce=\"N\">data = \"{VIEWER}\"</script>";
        let t = Template::new(html.as_bytes(), &[b"N", b"SIDE", b"{VIEWER}"]);
        assert_eq!((t.holes(0), t.holes(1), t.holes(2)), (2, 1, 1));
        let side = "<li>room</li>".repeat(10_000); // more than one stored block
        let fills: [&[u8]; 3] = [b"n0", side.as_bytes(), b"{\\\"me\\\":1}"];
        let want = html
            .replace("\"N\"", "\"n0\"")
            .replace("SIDE", &side)
            .replace("{VIEWER}", "{\\\"me\\\":1}");
        assert_eq!(&t.html(&fills)[..], want.as_bytes());
        assert_eq!(gunzip(&t.gzip(&fills)), want.as_bytes());
    }
}
