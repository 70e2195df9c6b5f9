//! Random identifiers from injected entropy: the core never calls an RNG itself.

use crate::core::json::PushByte;

/// A source of random bytes. The browser glue fills it from
/// `crypto.getRandomValues`; tests use [`SplitMix`], a plain seeded value.
pub trait Entropy {
    /// Fills `out` with random bytes.
    fn fill(&mut self, out: &mut [u8]);

    /// A random UUID v4 in its 36-character text form.
    fn uuid_v4(&mut self) -> String {
        let mut bytes = [0u8; 16];
        self.fill(&mut bytes);
        uuid_v4_from_bytes(bytes)
    }

    /// A uniformly distributed `u64`.
    fn next_u64(&mut self) -> u64 {
        let mut bytes = [0u8; 8];
        self.fill(&mut bytes);
        u64::from_le_bytes(bytes)
    }

    /// A uniformly distributed float in `[0, 1)`.
    fn unit_f64(&mut self) -> f64 {
        // 53 random bits: every representable step in [0, 1) is equally likely.
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Deterministic entropy for tests and benchmarks (splitmix64). Not for IDs in production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitMix(pub u64);

impl Entropy for SplitMix {
    fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Formats 16 random bytes as a RFC 9562 version-4 UUID (lower-case hex).
pub fn uuid_v4_from_bytes(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC variant
    let mut text = [0u8; 36];
    let mut at = 0;
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            text[at] = b'-';
            at += 1;
        }
        text[at] = HEX[(byte >> 4) as usize];
        text[at + 1] = HEX[(byte & 0x0f) as usize];
        at += 2;
    }
    // Only ASCII hex digits and dashes were written.
    let mut out = String::with_capacity(text.len());
    out.push_ascii(&text);
    out
}

/// True when `text` is a lower-case UUID v4 as [`uuid_v4_from_bytes`] makes them.
pub fn is_uuid_v4(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
        && bytes[14] == b'4'
        && matches!(bytes[19], b'8' | b'9' | b'a' | b'b')
}
