//! Text in a declared encoding decoded to UTF-8 as a stream, with exact source byte
//! offsets: an undecodable byte becomes U+FFFD and is recorded with its offset in the
//! file, so that a reader can reject the one record holding it and go on with the rest.
//! Decoded positions (what a parser sees) map back to file offsets through checkpoints
//! that the reader prunes as it moves on, so memory stays bounded whatever the file size.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

use encoding_rs::{DecoderResult, Encoding};

/// One byte sequence the declared encoding cannot decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadBytes {
    /// Where its replacement character starts in the decoded text.
    pub decoded: u64,
    /// Its first byte's offset in the file (after decompression).
    pub source: u64,
}

/// What the decoder learnt about positions, shared with the reader that parses its output.
#[derive(Debug, Default)]
pub(crate) struct Positions {
    /// (decoded offset, source offset) pairs, in order; between two of them each decoded
    /// byte is one source byte.
    checkpoints: VecDeque<(u64, u64)>,
    /// Undecodable sequences not yet taken by the reader.
    bad: VecDeque<BadBytes>,
}

impl Positions {
    /// The file offset of a decoded offset.
    pub fn source_offset(&self, decoded: u64) -> u64 {
        let index = self.checkpoints.partition_point(|(at, _)| *at <= decoded);
        match index.checked_sub(1).and_then(|index| self.checkpoints.get(index)) {
            Some((at, source)) => source + (decoded - at),
            None => decoded,
        }
    }

    /// Forgets the checkpoints before `decoded` (no later question will be about them).
    pub fn forget_before(&mut self, decoded: u64) {
        while self.checkpoints.len() > 1 && self.checkpoints.get(1).is_some_and(|(at, _)| *at <= decoded) {
            self.checkpoints.pop_front();
        }
    }

    /// Takes the undecodable sequences decoded before `decoded`.
    pub fn take_bad_before(&mut self, decoded: u64) -> Vec<BadBytes> {
        let count = self.bad.iter().take_while(|bad| bad.decoded < decoded).count();
        self.bad.drain(..count).collect()
    }

    fn checkpoint(&mut self, decoded: u64, source: u64) {
        if self.source_offset(decoded) != source {
            self.checkpoints.push_back((decoded, source));
        }
    }
}

/// A `BufRead` of UTF-8 decoded from `inner` in `encoding`.
pub(crate) struct Decoding<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    single_byte: bool,
    out: Box<[u8]>,
    out_start: usize,
    out_end: usize,
    /// Source bytes consumed from `inner`.
    source: u64,
    /// Decoded bytes produced so far (up to `out_end`).
    decoded: u64,
    finished: bool,
    positions: Rc<RefCell<Positions>>,
}

/// The replacement character, as UTF-8.
const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

impl<R: BufRead> Decoding<R> {
    /// Decodes `inner`, whose first `skipped` bytes (a byte-order mark) were already
    /// consumed, from `encoding` (which must be ASCII-compatible).
    pub fn new(inner: R, encoding: &'static Encoding, skipped: u64) -> (Self, Rc<RefCell<Positions>>) {
        let positions = Rc::new(RefCell::new(Positions::default()));
        positions.borrow_mut().checkpoint(0, skipped);
        let decoding = Self {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            single_byte: encoding.is_single_byte(),
            out: vec![0; 1 << 16].into_boxed_slice(),
            out_start: 0,
            out_end: 0,
            source: skipped,
            decoded: 0,
            finished: false,
            positions: Rc::clone(&positions),
        };
        (decoding, positions)
    }

    /// Decodes the next chunk of `inner` into `out` (empty at the end of the input).
    fn refill(&mut self) -> io::Result<()> {
        self.out_start = 0;
        self.out_end = 0;
        while self.out_end == 0 && !self.finished {
            let input = self.inner.fill_buf()?;
            let last = input.is_empty();
            // Room for a replacement character and for the decoder's worst case.
            let room = self.out.len() - REPLACEMENT.len();
            let (result, read, written) =
                self.decoder.decode_to_utf8_without_replacement(input, &mut self.out[..room], last);
            let chunk_source = self.source;
            self.inner.consume(read);
            self.source += read as u64;
            let mut positions = self.positions.borrow_mut();
            if self.single_byte {
                // Each source byte is one character: a checkpoint after each wider one.
                let text = &self.out[..written];
                let mut source = chunk_source;
                for (decoded, (index, byte)) in (self.decoded..).zip(text.iter().enumerate()) {
                    if *byte >= 0x80 && (*byte & 0xC0) != 0x80 {
                        let width =
                            text[index..].iter().skip(1).take_while(|b| (**b & 0xC0) == 0x80).count() as u64 + 1;
                        positions.checkpoint(decoded + width, source + 1);
                    }
                    if (*byte & 0xC0) != 0x80 {
                        source += 1;
                    }
                }
            }
            self.out_end = written;
            self.decoded += written as u64;
            match result {
                DecoderResult::Malformed(bad, extra) => {
                    let source = self.source - u64::from(extra) - u64::from(bad);
                    positions.bad.push_back(BadBytes { decoded: self.decoded, source });
                    self.out[self.out_end..self.out_end + REPLACEMENT.len()].copy_from_slice(REPLACEMENT);
                    self.out_end += REPLACEMENT.len();
                    self.decoded += REPLACEMENT.len() as u64;
                    positions.checkpoint(self.decoded, source + u64::from(bad));
                }
                DecoderResult::InputEmpty if last => self.finished = true,
                DecoderResult::InputEmpty | DecoderResult::OutputFull => {}
            }
        }
        Ok(())
    }
}

impl<R: BufRead> Read for Decoding<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let count = available.len().min(buffer.len());
        buffer[..count].copy_from_slice(&available[..count]);
        self.consume(count);
        Ok(count)
    }
}

impl<R: BufRead> BufRead for Decoding<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.out_start == self.out_end {
            self.refill()?;
        }
        Ok(&self.out[self.out_start..self.out_end])
    }

    fn consume(&mut self, amount: usize) {
        self.out_start = (self.out_start + amount).min(self.out_end);
    }
}

/// The encoding a document declares, from its byte-order mark or, for XML, the
/// `encoding` of its declaration (UTF-8 when it declares none), and the length of its
/// byte-order mark. `Err` carries an encoding label nobody can decode.
pub(crate) fn declared_encoding(start: &[u8]) -> Result<(&'static Encoding, usize), String> {
    if let Some((encoding, length)) = Encoding::for_bom(start) {
        return Ok((encoding, length));
    }
    let Some(rest) = start.strip_prefix(b"<?xml") else { return Ok((encoding_rs::UTF_8, 0)) };
    let declaration = &rest[..rest.windows(2).position(|pair| pair == b"?>").unwrap_or(rest.len())];
    let Some(at) = declaration.windows(8).position(|window| window == b"encoding") else {
        return Ok((encoding_rs::UTF_8, 0));
    };
    let after = &declaration[at + 8..];
    let Some(quote_at) = after.iter().position(|byte| *byte == b'"' || *byte == b'\'') else {
        return Ok((encoding_rs::UTF_8, 0));
    };
    let quote = after[quote_at];
    let value = &after[quote_at + 1..];
    let label = &value[..value.iter().position(|byte| *byte == quote).unwrap_or(value.len())];
    match Encoding::for_label_no_replacement(label) {
        Some(encoding) if encoding.is_ascii_compatible() => Ok((encoding, 0)),
        _ => Err(String::from_utf8_lossy(label).into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8], encoding: &'static Encoding) -> (String, Rc<RefCell<Positions>>) {
        let (mut decoding, positions) = Decoding::new(bytes, encoding, 0);
        let mut text = String::new();
        decoding.read_to_string(&mut text).unwrap();
        (text, positions)
    }

    #[test]
    fn an_undecodable_byte_is_replaced_and_recorded_at_its_exact_offset() {
        let mut bytes = b"abc".to_vec();
        bytes.push(0xE9);
        bytes.extend_from_slice("déf".as_bytes());
        let (text, positions) = decode(&bytes, encoding_rs::UTF_8);
        assert_eq!(text, "abc\u{FFFD}déf");
        let mut positions = positions.borrow_mut();
        assert_eq!(positions.take_bad_before(100), [BadBytes { decoded: 3, source: 3 }]);
        // "d" follows the replacement (3 decoded bytes for 1 source byte).
        assert_eq!(positions.source_offset(6), 4);
        assert_eq!(positions.source_offset(2), 2);
    }

    #[test]
    fn single_byte_encodings_map_every_decoded_offset_back_to_the_file() {
        let bytes = b"\xC9lectricit\xE9 <x>";
        let (text, positions) = decode(bytes, encoding_rs::WINDOWS_1252);
        assert_eq!(text, "Électricité <x>");
        let positions = positions.borrow();
        let decoded = text.find('<').unwrap() as u64;
        assert_eq!(positions.source_offset(decoded), 12);
        assert!(positions.bad.is_empty());
    }

    #[test]
    fn forgetting_keeps_later_offsets_exact() {
        let (text, positions) = decode("ééé<a>é<b>".as_bytes(), encoding_rs::UTF_8);
        let mut positions = positions.borrow_mut();
        let at = text.find("<b>").unwrap() as u64;
        positions.forget_before(at);
        assert_eq!(positions.source_offset(at), at);
    }

    #[test]
    fn the_declared_encoding_is_read_from_the_bom_or_the_xml_declaration() {
        assert_eq!(
            declared_encoding(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>").unwrap().0,
            encoding_rs::WINDOWS_1252
        );
        assert_eq!(
            declared_encoding(b"<?xml version='1.0' encoding='iso-8859-15'?>").unwrap().0,
            encoding_rs::ISO_8859_15
        );
        assert_eq!(declared_encoding(b"\xEF\xBB\xBF<a/>").unwrap(), (encoding_rs::UTF_8, 3));
        assert_eq!(declared_encoding(b"<lheo/>").unwrap().0, encoding_rs::UTF_8);
        assert_eq!(declared_encoding(b"<?xml version=\"1.0\" encoding=\"X-KLINGON\"?>").unwrap_err(), "X-KLINGON");
        assert!(declared_encoding(b"<?xml version=\"1.0\" encoding=\"UTF-16\"?>").is_err(), "not ASCII-compatible");
    }
}
