//! IBANs: the SWIFT registry's lengths and BBAN structures, the mod-97 check, and the
//! published examples that are not reported.

use super::bytes::{all_digits, byte_at, byte_before, is_word_byte};

/// One country of the SWIFT IBAN registry: its total IBAN length and its BBAN structure,
/// as runs of `n` (digits), `a` (upper-case letters) and `c` (letters or digits).
struct IbanSpec {
    country: [u8; 2],
    len: u8,
    bban: &'static str,
}

/// The SWIFT IBAN registry (release 101), every country. Sorted by country code.
#[rustfmt::skip]
const IBAN_SPECS: &[IbanSpec] = &[
    IbanSpec { country: *b"AD", len: 24, bban: "8n12c" },     // Andorra
    IbanSpec { country: *b"AE", len: 23, bban: "19n" },       // United Arab Emirates
    IbanSpec { country: *b"AL", len: 28, bban: "8n16c" },     // Albania
    IbanSpec { country: *b"AT", len: 20, bban: "16n" },       // Austria
    IbanSpec { country: *b"AZ", len: 28, bban: "4a20c" },     // Azerbaijan
    IbanSpec { country: *b"BA", len: 20, bban: "16n" },       // Bosnia and Herzegovina
    IbanSpec { country: *b"BE", len: 16, bban: "12n" },       // Belgium
    IbanSpec { country: *b"BG", len: 22, bban: "4a6n8c" },    // Bulgaria
    IbanSpec { country: *b"BH", len: 22, bban: "4a14c" },     // Bahrain
    IbanSpec { country: *b"BI", len: 27, bban: "23n" },       // Burundi
    IbanSpec { country: *b"BR", len: 29, bban: "23n1a1c" },   // Brazil
    IbanSpec { country: *b"BY", len: 28, bban: "4c4n16c" },   // Belarus
    IbanSpec { country: *b"CH", len: 21, bban: "5n12c" },     // Switzerland
    IbanSpec { country: *b"CR", len: 22, bban: "18n" },       // Costa Rica
    IbanSpec { country: *b"CY", len: 28, bban: "8n16c" },     // Cyprus
    IbanSpec { country: *b"CZ", len: 24, bban: "20n" },       // Czechia
    IbanSpec { country: *b"DE", len: 22, bban: "18n" },       // Germany
    IbanSpec { country: *b"DJ", len: 27, bban: "23n" },       // Djibouti
    IbanSpec { country: *b"DK", len: 18, bban: "14n" },       // Denmark
    IbanSpec { country: *b"DO", len: 28, bban: "4c20n" },     // Dominican Republic
    IbanSpec { country: *b"EE", len: 20, bban: "16n" },       // Estonia
    IbanSpec { country: *b"EG", len: 29, bban: "25n" },       // Egypt
    IbanSpec { country: *b"ES", len: 24, bban: "20n" },       // Spain
    IbanSpec { country: *b"FI", len: 18, bban: "14n" },       // Finland
    IbanSpec { country: *b"FK", len: 18, bban: "2a12n" },     // Falkland Islands
    IbanSpec { country: *b"FO", len: 18, bban: "14n" },       // Faroe Islands
    IbanSpec { country: *b"FR", len: 27, bban: "10n11c2n" },  // France
    IbanSpec { country: *b"GB", len: 22, bban: "4a14n" },     // United Kingdom
    IbanSpec { country: *b"GE", len: 22, bban: "2a16n" },     // Georgia
    IbanSpec { country: *b"GI", len: 23, bban: "4a15c" },     // Gibraltar
    IbanSpec { country: *b"GL", len: 18, bban: "14n" },       // Greenland
    IbanSpec { country: *b"GR", len: 27, bban: "7n16c" },     // Greece
    IbanSpec { country: *b"GT", len: 28, bban: "24c" },       // Guatemala
    IbanSpec { country: *b"HN", len: 28, bban: "4a20n" },     // Honduras
    IbanSpec { country: *b"HR", len: 21, bban: "17n" },       // Croatia
    IbanSpec { country: *b"HU", len: 28, bban: "24n" },       // Hungary
    IbanSpec { country: *b"IE", len: 22, bban: "4a14n" },     // Ireland
    IbanSpec { country: *b"IL", len: 23, bban: "19n" },       // Israel
    IbanSpec { country: *b"IQ", len: 23, bban: "4a15n" },     // Iraq
    IbanSpec { country: *b"IS", len: 26, bban: "22n" },       // Iceland
    IbanSpec { country: *b"IT", len: 27, bban: "1a10n12c" },  // Italy
    IbanSpec { country: *b"JO", len: 30, bban: "4a4n18c" },   // Jordan
    IbanSpec { country: *b"KW", len: 30, bban: "4a22c" },     // Kuwait
    IbanSpec { country: *b"KZ", len: 20, bban: "3n13c" },     // Kazakhstan
    IbanSpec { country: *b"LB", len: 28, bban: "4n20c" },     // Lebanon
    IbanSpec { country: *b"LC", len: 32, bban: "4a24c" },     // Saint Lucia
    IbanSpec { country: *b"LI", len: 21, bban: "5n12c" },     // Liechtenstein
    IbanSpec { country: *b"LT", len: 20, bban: "16n" },       // Lithuania
    IbanSpec { country: *b"LU", len: 20, bban: "3n13c" },     // Luxembourg
    IbanSpec { country: *b"LV", len: 21, bban: "4a13c" },     // Latvia
    IbanSpec { country: *b"LY", len: 25, bban: "21n" },       // Libya
    IbanSpec { country: *b"MC", len: 27, bban: "10n11c2n" },  // Monaco
    IbanSpec { country: *b"MD", len: 24, bban: "20c" },       // Moldova
    IbanSpec { country: *b"ME", len: 22, bban: "18n" },       // Montenegro
    IbanSpec { country: *b"MK", len: 19, bban: "3n10c2n" },   // North Macedonia
    IbanSpec { country: *b"MN", len: 20, bban: "16n" },       // Mongolia
    IbanSpec { country: *b"MR", len: 27, bban: "23n" },       // Mauritania
    IbanSpec { country: *b"MT", len: 31, bban: "4a5n18c" },   // Malta
    IbanSpec { country: *b"MU", len: 30, bban: "4a19n3a" },   // Mauritius
    IbanSpec { country: *b"NI", len: 28, bban: "4a20n" },     // Nicaragua
    IbanSpec { country: *b"NL", len: 18, bban: "4a10n" },     // Netherlands
    IbanSpec { country: *b"NO", len: 15, bban: "11n" },       // Norway
    IbanSpec { country: *b"OM", len: 23, bban: "3n16c" },     // Oman
    IbanSpec { country: *b"PK", len: 24, bban: "4a16c" },     // Pakistan
    IbanSpec { country: *b"PL", len: 28, bban: "24n" },       // Poland
    IbanSpec { country: *b"PS", len: 29, bban: "4a21c" },     // Palestine
    IbanSpec { country: *b"PT", len: 25, bban: "21n" },       // Portugal
    IbanSpec { country: *b"QA", len: 29, bban: "4a21c" },     // Qatar
    IbanSpec { country: *b"RO", len: 24, bban: "4a16c" },     // Romania
    IbanSpec { country: *b"RS", len: 22, bban: "18n" },       // Serbia
    IbanSpec { country: *b"RU", len: 33, bban: "14n15c" },    // Russia
    IbanSpec { country: *b"SA", len: 24, bban: "2n18c" },     // Saudi Arabia
    IbanSpec { country: *b"SC", len: 31, bban: "4a20n3a" },   // Seychelles
    IbanSpec { country: *b"SD", len: 18, bban: "14n" },       // Sudan
    IbanSpec { country: *b"SE", len: 24, bban: "20n" },       // Sweden
    IbanSpec { country: *b"SI", len: 19, bban: "15n" },       // Slovenia
    IbanSpec { country: *b"SK", len: 24, bban: "20n" },       // Slovakia
    IbanSpec { country: *b"SM", len: 27, bban: "1a10n12c" },  // San Marino
    IbanSpec { country: *b"SO", len: 23, bban: "19n" },       // Somalia
    IbanSpec { country: *b"ST", len: 25, bban: "21n" },       // Sao Tome and Principe
    IbanSpec { country: *b"SV", len: 28, bban: "4a20n" },     // El Salvador
    IbanSpec { country: *b"TL", len: 23, bban: "19n" },       // Timor-Leste
    IbanSpec { country: *b"TN", len: 24, bban: "20n" },       // Tunisia
    IbanSpec { country: *b"TR", len: 26, bban: "6n16c" },     // Turkey
    IbanSpec { country: *b"UA", len: 29, bban: "6n19c" },     // Ukraine
    IbanSpec { country: *b"VA", len: 22, bban: "18n" },       // Vatican City
    IbanSpec { country: *b"VG", len: 24, bban: "4a16n" },     // British Virgin Islands
    IbanSpec { country: *b"XK", len: 20, bban: "16n" },       // Kosovo
    IbanSpec { country: *b"YE", len: 30, bban: "4a4n18c" },   // Yemen
];

/// Example IBANs that fixtures copy: the SWIFT IBAN registry's example for each country and
/// the examples of bank documentation, Wikipedia and python-stdnum. All valid. Sorted.
#[rustfmt::skip]
const EXAMPLE_IBANS: &[&[u8]] = &[
    b"AD1200012030200359100100", b"AE070331234567890123456", b"AL47212110090000000235698741",
    b"AT611904300234573201", b"AZ21NABZ00000000137010001944", b"BA391290079401028494",
    b"BE31435411161155", b"BE68539007547034", b"BG80BNBG96611020345678",
    b"BH67BMAG00001299123456", b"BI4210000100010000332045181", b"BR1800360305000010009795493C1",
    b"BR9700360305000010009795493P1", b"BY13NBRB3600900000002Z00AB00", b"CH9300762011623852957",
    b"CR05015202001026284066", b"CY17002001280000001200527600", b"CZ6508000000192000145399",
    b"DE89370400440532013000", b"DJ2100010000000154000100186", b"DK5000400440116243",
    b"DO28BAGR00000001212453611324", b"EE382200221020145685", b"EG380019000500000000263180002",
    b"ES7712341234161234567890", b"ES9121000418450200051332", b"FI2112345600000785",
    b"FK88SC123456789012", b"FO6264600001631634", b"FR1420041010050500013M02606",
    b"FR7630006000011234567890189", b"GB29NWBK60161331926819", b"GB33BUKB20201555555555",
    b"GB82WEST12345698765432", b"GE29NB0000000101904917", b"GI75NWBK000000007099453",
    b"GL8964710001000206", b"GR1601101050000010547023795", b"GR1601101250000000012300695",
    b"GT82TRAJ01020000001210029690", b"HN88CABF00000000000250005469", b"HR1210010051863000160",
    b"HU42117730161111101800000000", b"IE29AIBK93115212345678", b"IL620108000000099999999",
    b"IQ98NBIQ850123456789012", b"IS140159260076545510730339", b"IT60X0542811101000000123456",
    b"JO94CBJO0010000000000131000302", b"KW81CBKU0000000000001234560101",
    b"KZ86125KZT5004100100", b"LB62099900000001001901229114",
    b"LC55HEMM000100010012001200023015", b"LI21088100002324013AA", b"LT121000011101001000",
    b"LU280019400644750000", b"LV80BANK0000435195001", b"LY83002048000020100120361",
    b"MC5811222000010123456789030", b"MD24AG000225100013104168", b"ME25505000012345678951",
    b"ME25510000000006234133", b"MK07250120000058984", b"MN121234123456789123",
    b"MR1300020001010000123456753", b"MT84MALT011000012345MTLCAST001S",
    b"MU17BOMM0101101030300200000MUR", b"NI45BAPR00000013000003558124", b"NL91ABNA0417164300",
    b"NO9386011117947", b"OM810180000001299123456", b"PK36SCBL0000001123456702",
    b"PL61109010140000071219812874", b"PS92PALS000000000400123456702",
    b"PT50000201231234567890154", b"QA58DOHB00001234567890ABCDEFG", b"RO49AAAA1B31007593840000",
    b"RS35260005601001611379", b"RU0304452522540817810538091310419",
    b"SA0380000000608010167519", b"SC18SSCB11010000000000001497USD", b"SD2129010501234001",
    b"SE4550000000058398257466", b"SI56263300012039086", b"SK3112000000198742637541",
    b"SM86U0322509800000000270100", b"SO211000001001000100141", b"ST68000100010051845310112",
    b"SV62CENR00000000000000700025", b"TL380080012345678910157", b"TN5910006035183598478831",
    b"TR330006100519786457841326", b"UA213223130000026007233566001", b"VA59001123000012345678",
    b"VG96VPVG0000012345678901", b"XK051212012345678906", b"YE15CBYE0001018861234567891234",
];

fn iban_spec(country: &[u8]) -> Option<&'static IbanSpec> {
    IBAN_SPECS
        .binary_search_by(|spec| spec.country.as_slice().cmp(country))
        .ok()
        .map(|i| &IBAN_SPECS[i])
}

/// True when `bban` follows `structure` (see [`IbanSpec`]).
fn bban_matches(bban: &[u8], structure: &str) -> bool {
    let mut pos = 0;
    let mut count = 0;
    for c in structure.bytes() {
        if c.is_ascii_digit() {
            count = count * 10 + usize::from(c - b'0');
            continue;
        }
        let class: fn(&u8) -> bool = match c {
            b'n' => u8::is_ascii_digit,
            b'a' => u8::is_ascii_uppercase,
            _ => u8::is_ascii_alphanumeric,
        };
        match bban.get(pos..pos + count) {
            Some(run) if run.iter().all(class) => pos += count,
            _ => return false,
        }
        count = 0;
    }
    pos == bban.len()
}

/// ISO 7064 MOD 97-10 over the IBAN moved to `BBAN + country + check digits`, letters
/// counted as 10..35. Valid IBANs give 1.
fn iban_mod97(iban: &[u8]) -> Option<u32> {
    let (head, bban) = (iban.get(..4)?, iban.get(4..)?);
    // Reduce only when the accumulator nears 2^64 / 100, not after every character.
    let r = bban.iter().chain(head).try_fold(0u64, |r, &b| {
        let r = match b {
            b'0'..=b'9' => r * 10 + u64::from(b - b'0'),
            b'A'..=b'Z' => r * 100 + u64::from(b - b'A') + 10,
            b'a'..=b'z' => r * 100 + u64::from(b - b'a') + 10,
            _ => return None,
        };
        Some(if r >= 1 << 56 { r % 97 } else { r })
    })?;
    u32::try_from(r % 97).ok()
}

/// A compact (no spaces) IBAN worth reporting: a registry country written in upper case, two
/// check digits, the country's exact length and BBAN structure, mod-97 remainder 1, and not
/// one of the published examples ([`EXAMPLE_IBANS`]).
pub(crate) fn iban_valid(iban: &[u8]) -> bool {
    let Some(spec) = iban.get(..2).and_then(iban_spec) else {
        return false;
    };
    iban.len() == usize::from(spec.len)
        && all_digits(&iban[2..4])
        && bban_matches(&iban[4..], spec.bban)
        && iban_mod97(iban) == Some(1)
        && EXAMPLE_IBANS.binary_search(&iban).is_err()
}

/// An IBAN whose country code starts at `start`, compact or in the print form (groups of
/// four separated by single spaces). Returns its end.
pub(super) fn iban_at(h: &[u8], start: usize) -> Option<usize> {
    if byte_before(h, start).is_some_and(is_word_byte) {
        return None;
    }
    let len = usize::from(iban_spec(h.get(start..start + 2)?)?.len);
    let mut compact = [0u8; 34];
    let spaced = byte_at(h, start + 4) == Some(b' ');
    let mut pos = start;
    for n in 0..len {
        if spaced && n > 0 && n % 4 == 0 {
            if byte_at(h, pos) != Some(b' ') {
                return None;
            }
            pos += 1;
        }
        let b = byte_at(h, pos).filter(u8::is_ascii_alphanumeric)?;
        *compact.get_mut(n)? = b;
        pos += 1;
    }
    if byte_at(h, pos).is_some_and(is_word_byte) {
        return None;
    }
    iban_valid(&compact[..len]).then_some(pos)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::pii::testing::{assert_found, assert_none, embed, mutate, printable};
    use crate::pii::{PiiDetector, PiiKind, PiiMatch};
    use proptest::prelude::*;
    use proptest::sample::Index;

    /// `country` + computed check digits + `bban`.
    fn with_iban_check(country: &[u8], bban: &[u8]) -> Vec<u8> {
        let mut probe = country.to_vec();
        probe.extend_from_slice(b"00");
        probe.extend_from_slice(bban);
        let check = 98 - iban_mod97(&probe).expect("alphanumeric");
        let mut iban = country.to_vec();
        iban.extend_from_slice(format!("{check:02}").as_bytes());
        iban.extend_from_slice(bban);
        iban
    }

    #[test]
    fn iban_registry_table_is_consistent() {
        assert_eq!(IBAN_SPECS.len(), 89);
        assert!(
            IBAN_SPECS.windows(2).all(|w| w[0].country < w[1].country),
            "sorted, unique"
        );
        for spec in IBAN_SPECS {
            let mut total = 4;
            let mut count = 0;
            for c in spec.bban.bytes() {
                if c.is_ascii_digit() {
                    count = count * 10 + usize::from(c - b'0');
                } else {
                    assert!(matches!(c, b'n' | b'a' | b'c'));
                    total += count;
                    count = 0;
                }
            }
            assert_eq!(
                total,
                usize::from(spec.len),
                "{}",
                String::from_utf8_lossy(&spec.country)
            );
        }
        let len = |cc: &[u8]| iban_spec(cc).map(|s| s.len);
        assert_eq!(len(b"GB"), Some(22));
        assert_eq!(len(b"DE"), Some(22));
        assert_eq!(len(b"FR"), Some(27));
        assert_eq!(len(b"NO"), Some(15));
        assert_eq!(len(b"MT"), Some(31));
        assert_eq!(len(b"LC"), Some(32));
        assert_eq!(len(b"RU"), Some(33));
        assert_eq!(len(b"US"), None);
    }

    #[test]
    fn example_ibans_are_valid_but_excluded() {
        assert!(
            EXAMPLE_IBANS.windows(2).all(|w| w[0] < w[1]),
            "sorted for binary search"
        );
        assert!(EXAMPLE_IBANS.len() > 90);
        for iban in EXAMPLE_IBANS {
            assert_eq!(
                iban_mod97(iban),
                Some(1),
                "{}",
                String::from_utf8_lossy(iban)
            );
            assert!(!iban_valid(iban));
        }
        assert_none("IBAN: GB82 WEST 1234 5698 7654 32", PiiKind::Iban);
        assert_none("DE89370400440532013000", PiiKind::Iban);
    }

    #[test]
    fn ibans_are_found() {
        assert!(iban_valid(b"GB48BARC20035399485827"));
        for (text, value) in [
            ("GB48BARC20035399485827", "GB48BARC20035399485827"),
            (
                "IBAN: GB48 BARC 2003 5399 4858 27.",
                "GB48 BARC 2003 5399 4858 27",
            ),
            (
                "iban=DE44500105175407324931&bic=X",
                "DE44500105175407324931",
            ),
            ("DE44 5001 0517 5407 3249 31", "DE44 5001 0517 5407 3249 31"),
            ("\"NL66RABO0318472953\"", "NL66RABO0318472953"),
            ("NO58 6011 0987 654", "NO58 6011 0987 654"),
            (
                "FR03 1751 2000 0877 4123 0PA8 219",
                "FR03 1751 2000 0877 4123 0PA8 219",
            ),
            ("IT61X0306909606100000012345", "IT61X0306909606100000012345"),
            (
                "LC39ABCD123456789012345678901234",
                "LC39ABCD123456789012345678901234",
            ),
        ] {
            assert_found(text, PiiKind::Iban, value);
        }
    }

    #[test]
    fn iban_negatives() {
        for text in [
            // Check digits wrong.
            "GB49BARC20035399485827",
            // One character changed.
            "GB48BARC20035399485828",
            // Length wrong for the country.
            "GB48BARC2003539948582",
            "GB48BARC200353994858271",
            // Unknown country, lower-case country code.
            "XX48BARC20035399485827",
            "gb48BARC20035399485827",
            // Structure wrong: Germany's BBAN is digits only.
            "DE44A00105175407324931",
            // Glued to a longer word, or groups of the wrong size.
            "XGB48BARC20035399485827",
            "GB48BARC20035399485827X",
            "GB48 BARC 2003 5399 4858 271",
            "GB48 BARC2003 5399 4858 27",
        ] {
            assert_none(text, PiiKind::Iban);
        }
        assert!(
            !iban_valid(b"GB48 BARC 2003 5399 4858 27"),
            "iban_valid takes the compact form"
        );
    }

    /// Valid IBANs of every registry country: a random BBAN of the country's structure and
    /// computed check digits.
    pub(in crate::pii) fn iban() -> impl Strategy<Value = Vec<u8>> {
        (
            0..IBAN_SPECS.len(),
            proptest::collection::vec(any::<u8>(), 30),
        )
            .prop_map(|(i, noise)| {
                let spec = &IBAN_SPECS[i];
                let mut bban = Vec::new();
                let mut count = 0;
                for c in spec.bban.bytes() {
                    if c.is_ascii_digit() {
                        count = count * 10 + usize::from(c - b'0');
                        continue;
                    }
                    for _ in 0..count {
                        let r = noise[bban.len()];
                        bban.push(match c {
                            b'n' => b'0' + r % 10,
                            b'a' => b'A' + r % 26,
                            _ => b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[usize::from(r % 36)],
                        });
                    }
                    count = 0;
                }
                with_iban_check(&spec.country, &bban)
            })
            .prop_filter("a published example", |iban| iban_valid(iban))
    }

    pub(in crate::pii) fn format_iban(iban: &[u8], spaced: bool) -> Vec<u8> {
        if !spaced {
            return iban.to_vec();
        }
        iban.chunks(4).collect::<Vec<_>>().join(&b' ')
    }

    proptest! {
        #[test]
        fn generated_ibans_are_found_with_their_exact_range(
            iban in iban(), spaced in any::<bool>(), pre in printable(), post in printable(),
        ) {
            let (hay, start, end) = embed(&pre, &format_iban(&iban, spaced), &post);
            let found = PiiDetector::new().find(&hay);
            prop_assert!(
                found.contains(&PiiMatch::new(PiiKind::Iban, start, end)),
                "{:?}: {:?}", String::from_utf8_lossy(&hay), found
            );
        }

        #[test]
        fn a_changed_iban_character_is_not_reported(
            iban in iban(), index in any::<Index>(), delta in any::<u8>(), spaced in any::<bool>(),
            pre in printable(), post in printable(),
        ) {
            let mut bad = iban.clone();
            let at = 2 + index.index(bad.len() - 2);
            mutate(&mut bad, at, delta);
            prop_assert!(!iban_valid(&bad));
            let (hay, _, _) = embed(&pre, &format_iban(&bad, spaced), &post);
            let found = PiiDetector::new().find(&hay);
            prop_assert!(found.iter().all(|m| m.kind != PiiKind::Iban), "{:?}", found);
        }
    }
}
