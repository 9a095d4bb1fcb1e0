//! Deterministic randomness: one seed decides every token, digest and seeded
//! package, so a failing test replays exactly.

/// SplitMix64: small, fast, and good enough to make names and shapes vary.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (0 when `bound` is 0).
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        self.next_u64() % bound
    }

    /// A `sha256:` digest of 64 lowercase hex digits.
    pub(crate) fn digest(&mut self) -> String {
        let mut out = String::with_capacity(71);
        out.push_str("sha256:");
        for _ in 0..4 {
            out.push_str(&format!("{:016x}", self.next_u64()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_digests() {
        let a = Rng::new(1).digest();
        assert_eq!(a, Rng::new(1).digest());
        assert_ne!(a, Rng::new(2).digest());
        assert_eq!(a.len(), 71);
        assert!(
            a[7..]
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        let mut rng = Rng::new(3);
        assert!((0..1000).all(|_| rng.below(7) < 7));
        assert_eq!(rng.below(0), 0);
    }
}
