//! Deterministic randomness: every "random" choice in skiff comes from here, seeded
//! through `Config`, so a run replays exactly from its seed.
//!
//! [`Rng`] is xoshiro256** (fast, good statistical quality, not cryptographic), seeded
//! through SplitMix64. [`SipHasher24`] is a keyed hash (SipHash-2-4) for choices an
//! attacker must not predict or steer: hash-table buckets, ISNs (RFC 6528), ephemeral
//! ports (RFC 6056), fragment identifiers.

/// A seeded pseudo-random generator (xoshiro256**). Cheap to copy; never reads entropy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose whole output is determined by `seed`.
    pub fn new(seed: u64) -> Rng {
        let mut sm = seed;
        let mut next = || {
            sm = sm.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = sm;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// A value uniform in `0..bound` (Lemire's multiply-shift; the bias for bounds far
    /// below 2^64 is negligible for simulation use). `bound == 0` gives 0.
    pub fn below(&mut self, bound: u64) -> u64 {
        ((self.next_u64() as u128 * bound as u128) >> 64) as u64
    }

    /// `true` with probability `numerator / denominator` (exact for small ratios).
    pub fn chance(&mut self, numerator: u32, denominator: u32) -> bool {
        denominator != 0 && self.below(denominator as u64) < numerator as u64
    }

    /// Fills `bytes` with random bytes.
    pub fn fill(&mut self, bytes: &mut [u8]) {
        for chunk in bytes.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

/// SipHash-2-4 with a 128-bit key: a keyed hash whose output an attacker who does not
/// know the key can neither predict nor steer into collisions.
#[derive(Debug, Clone)]
pub struct SipHasher24 {
    v: [u64; 4],
    tail: u64,
    tail_len: usize,
    total_len: u64,
}

impl SipHasher24 {
    /// A hasher keyed with `key` (two 64-bit halves).
    pub fn new(key: [u64; 2]) -> SipHasher24 {
        SipHasher24 {
            v: [
                key[0] ^ 0x736f_6d65_7073_6575,
                key[1] ^ 0x646f_7261_6e64_6f6d,
                key[0] ^ 0x6c79_6765_6e65_7261,
                key[1] ^ 0x7465_6462_7974_6573,
            ],
            tail: 0,
            tail_len: 0,
            total_len: 0,
        }
    }

    fn round(v: &mut [u64; 4]) {
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13) ^ v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16) ^ v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21) ^ v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17) ^ v[2];
        v[2] = v[2].rotate_left(32);
    }

    fn compress(&mut self, m: u64) {
        self.v[3] ^= m;
        Self::round(&mut self.v);
        Self::round(&mut self.v);
        self.v[0] ^= m;
    }

    /// Feeds bytes: whole little-endian words straight into the state, only a partial
    /// word at either end byte by byte.
    pub fn write(&mut self, mut bytes: &[u8]) {
        self.total_len = self.total_len.wrapping_add(bytes.len() as u64);
        while self.tail_len != 0 {
            let Some((&b, rest)) = bytes.split_first() else {
                return;
            };
            self.push_byte(b);
            bytes = rest;
        }
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut m = [0u8; 8];
            m.copy_from_slice(word);
            self.compress(u64::from_le_bytes(m));
        }
        for &b in words.remainder() {
            self.push_byte(b);
        }
    }

    fn push_byte(&mut self, b: u8) {
        self.tail |= (b as u64) << (8 * self.tail_len);
        self.tail_len += 1;
        if self.tail_len == 8 {
            let m = self.tail;
            self.compress(m);
            self.tail = 0;
            self.tail_len = 0;
        }
    }

    /// The 64-bit digest of everything written.
    pub fn finish(&self) -> u64 {
        let mut v = self.v;
        let m = self.tail | ((self.total_len & 0xff) << 56);
        v[3] ^= m;
        Self::round(&mut v);
        Self::round(&mut v);
        v[0] ^= m;
        v[2] ^= 0xff;
        for _ in 0..4 {
            Self::round(&mut v);
        }
        v[0] ^ v[1] ^ v[2] ^ v[3]
    }

    /// One-shot digest of `bytes` under `key`.
    pub fn hash(key: [u64; 2], bytes: &[u8]) -> u64 {
        let mut h = SipHasher24::new(key);
        h.write(bytes);
        h.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siphash_matches_the_reference_vectors() {
        // Reference: the SipHash paper's test vectors with key 00..0f and messages
        // 00, 00 01, 00 01 02, ... (vectors.h, 64-bit output, little endian).
        let key = [0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908];
        let expected: [u64; 4] = [
            0x726f_db47_dd0e_0e31,
            0x74f8_39c5_93dc_67fd,
            0x0d6c_8009_d9a9_4f5a,
            0x8567_6696_d7fb_7e2d,
        ];
        let msg: [u8; 4] = [0, 1, 2, 3];
        for (len, want) in expected.iter().enumerate() {
            assert_eq!(SipHasher24::hash(key, &msg[..len]), *want, "length {len}");
        }
        let long: [u8; 15] = core::array::from_fn(|i| i as u8);
        assert_eq!(SipHasher24::hash(key, &long), 0xa129_ca61_49be_45e5);
    }

    #[test]
    fn incremental_and_one_shot_hashing_agree() {
        let key = [1, 2];
        let data: [u8; 37] = core::array::from_fn(|i| (i * 7) as u8);
        let mut h = SipHasher24::new(key);
        h.write(&data[..5]);
        h.write(&data[5..20]);
        h.write(&data[20..]);
        assert_eq!(h.finish(), SipHasher24::hash(key, &data));
    }

    #[test]
    fn the_same_seed_gives_the_same_stream_and_others_differ() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        let mut c = Rng::new(43);
        let sa: [u64; 8] = core::array::from_fn(|_| a.next_u64());
        let sb: [u64; 8] = core::array::from_fn(|_| b.next_u64());
        let sc: [u64; 8] = core::array::from_fn(|_| c.next_u64());
        assert_eq!(sa, sb);
        assert_ne!(sa, sc);
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut r = Rng::new(7);
        let mut seen = [false; 10];
        for _ in 0..1000 {
            let x = r.below(10);
            assert!(x < 10);
            seen[x as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(r.below(0), 0);
        assert!(!r.chance(0, 100));
        assert!(r.chance(100, 100));
        assert!(!r.chance(1, 0));
    }
}
