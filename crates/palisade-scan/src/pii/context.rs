//! Context keywords: the words that must stand on a number's line before a bare SSN or
//! NHS number counts, that name a card number among big integers, and that must name the
//! field of a phone number written in a national form.
//!
//! A field is named by the label right before its value (`"phone": "…"`, `tel = …`,
//! `<mobile>…`) or, for a value in a row, by its column: the first line of a CSV file
//! (`id,name,phone`) or the column list of an SQL `INSERT … (id, name, phone) VALUES (…)`.

/// How far (in bytes, within the same line) a context keyword may be from the number.
const KEYWORD_WINDOW: usize = 120;

const SSN_KEYWORDS: &[&[u8]] = &[
    b"ssn",
    b"social security",
    b"social_security",
    b"social-security",
    b"socialsecurity",
];
const NHS_KEYWORDS: &[&[u8]] = &[b"nhs"];
const CARD_KEYWORDS: &[&[u8]] = &[b"card", b"credit", b"debit", b"pan", b"ccnum", b"cc_num"];

/// Words that name a phone number, matched as whole words or camelCase humps (`tel`,
/// `homeTel`, `fax_number`, but not `telemetry` or `cellar`). `phone` counts anywhere in a
/// word (`homephone`, `phonenumber`).
#[rustfmt::skip]
const PHONE_WORDS: &[&[u8]] = &[
    b"tel", b"tele", b"telephone", b"telefon", b"telefone", b"telefono", b"telefoon",
    b"telefonnummer", b"telefoonnummer", b"t\xc3\xa9l\xc3\xa9phone", b"tel\xc3\xa9fono",
    b"tlf", b"tfno", b"mobile", b"mobil", b"mobiel", b"movil", b"m\xc3\xb3vil", b"cell",
    b"cellular", b"cellulare", b"celular", b"fax", b"handy", b"gsm", b"msisdn", b"whatsapp",
    b"rufnummer", b"contact number", b"contact_number", b"contact-number", b"contactnumber",
    b"contact no",
];

/// How far before a value its label is looked for.
const LABEL_WINDOW: usize = 40;

/// How far the first line of a CSV file, a row, or the start of an SQL `INSERT` may be from
/// a value for its column to be found. It bounds the cost of a lookup; a row of a longer
/// statement or line has no column.
const COLUMN_WINDOW: usize = 4096;

/// The part of the line holding `start..end` from `before` bytes before `start` to `after`
/// bytes after `end`.
fn line_window(h: &[u8], start: usize, end: usize, before: usize, after: usize) -> &[u8] {
    let lo = start.saturating_sub(before);
    let hi = end.saturating_add(after).min(h.len());
    let from = memchr::memrchr(b'\n', &h[lo..start]).map_or(lo, |i| lo + i + 1);
    let to = memchr::memchr(b'\n', &h[end..hi]).map_or(hi, |i| end + i);
    &h[from..to]
}

/// True when `text` contains one of `keywords` (ASCII case-insensitive) that starts a word:
/// after a non-letter, or as the upper-case hump of a camelCase name (`patientNhs`). This
/// keeps `ssn` in `classname` from counting.
fn mentions_keyword(text: &[u8], keywords: &[&[u8]]) -> bool {
    keywords.iter().any(|kw| {
        text.windows(kw.len()).enumerate().any(|(i, w)| {
            w.eq_ignore_ascii_case(kw)
                && match i.checked_sub(1).map(|j| text[j]) {
                    None => true,
                    Some(p) if !p.is_ascii_alphabetic() => true,
                    Some(p) => p.is_ascii_lowercase() && w[0].is_ascii_uppercase(),
                }
        })
    })
}

/// True when a word starts at `i` of `text`: as [`mentions_keyword`] asks, after a
/// non-letter or as the upper-case hump of a camelCase name.
fn word_starts_at(text: &[u8], i: usize) -> bool {
    match i.checked_sub(1).map(|j| text[j]) {
        None => true,
        Some(p) if !p.is_ascii_alphabetic() && p < 0x80 => true,
        Some(p) => p.is_ascii_lowercase() && text[i].is_ascii_uppercase(),
    }
}

/// True when `word` (ASCII case-insensitive) stands at `i` of `text` and ends there: no
/// lower-case letter (nor a non-ASCII byte) follows it, unless it ends a lower-case hump
/// before an upper-case one (`telHome`).
fn word_at(text: &[u8], i: usize, word: &[u8]) -> bool {
    let Some(w) = text.get(i..i + word.len()) else {
        return false;
    };
    w.eq_ignore_ascii_case(word)
        && match text.get(i + w.len()) {
            None => true,
            Some(n) if n.is_ascii_lowercase() || *n >= 0x80 => false,
            Some(n) if n.is_ascii_uppercase() => w[w.len() - 1].is_ascii_lowercase(),
            Some(_) => true,
        }
}

/// True when `text` names a phone number: one of [`PHONE_WORDS`] as a whole word, or
/// `phone` anywhere.
pub(super) fn names_phone(text: &[u8]) -> bool {
    (0..text.len()).any(|i| {
        text[i..]
            .get(..5)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"phone"))
            || (matches!(
                text[i] | 0x20,
                b'c' | b'f' | b'g' | b'h' | b'm' | b'r' | b't' | b'w'
            ) && word_starts_at(text, i)
                && PHONE_WORDS.iter().any(|word| word_at(text, i, word)))
    })
}

/// True when `text` names a card: `card`, `credit`, `debit`, `pan`, `ccnum`.
pub(super) fn names_card(text: &[u8]) -> bool {
    mentions_keyword(text, CARD_KEYWORDS)
}

/// True when `text` names a social security number.
pub(super) fn names_ssn(text: &[u8]) -> bool {
    mentions_keyword(text, SSN_KEYWORDS)
}

/// True when `text` names an NHS number.
pub(super) fn names_nhs(text: &[u8]) -> bool {
    mentions_keyword(text, NHS_KEYWORDS)
}

/// `ssn` or `social security` on the same line, before `start`, or naming its column.
pub(super) fn ssn_keyword_before(h: &[u8], start: usize) -> bool {
    names_ssn(line_window(h, start, start, KEYWORD_WINDOW, 0)) || column_named(h, start, names_ssn)
}

/// `nhs` on the same line, before or after the number, or naming its column.
pub(super) fn nhs_keyword_near(h: &[u8], start: usize, end: usize) -> bool {
    names_nhs(line_window(h, start, end, KEYWORD_WINDOW, KEYWORD_WINDOW))
        || column_named(h, start, names_nhs)
}

/// A card named on the same line, before or after the number: `card`, `credit`, `debit`,
/// `pan`, `ccnum` (`"card_number": …`, `creditCard = …`, `PAN: …`), or naming its column.
pub(super) fn card_keyword_near(h: &[u8], start: usize, end: usize) -> bool {
    names_card(line_window(h, start, end, KEYWORD_WINDOW, KEYWORD_WINDOW))
        || column_named(h, start, names_card)
}

/// True when the field of the value starting at `start` is named by `names`: its label
/// ([`label_before`]) or its column ([`column_named`]).
pub(super) fn field_named(h: &[u8], start: usize, names: fn(&[u8]) -> bool) -> bool {
    names(label_before(h, start)) || column_named(h, start, names)
}

/// The text right before a value that names it: up to [`LABEL_WINDOW`] bytes back, to the
/// line's start or the first digit, `,`, `;`, `{`, `[`, `(` or `|`, where another value or
/// field ends. `"phone": "`, `tel = '`, `<mobile>`, `Contact number: `.
fn label_before(h: &[u8], start: usize) -> &[u8] {
    let lo = start.saturating_sub(LABEL_WINDOW);
    let mut i = start;
    while i > lo
        && !h[i - 1].is_ascii_digit()
        && !matches!(
            h[i - 1],
            b'\n' | b'\r' | b',' | b';' | b'{' | b'[' | b'(' | b'|'
        )
    {
        i -= 1;
    }
    &h[i..start]
}

/// True when the value starting at `start` lies in a column named by `names`: a column of
/// an SQL `INSERT` ([`sql_column`]) or of a CSV file ([`csv_column`]).
pub(super) fn column_named(h: &[u8], start: usize, names: fn(&[u8]) -> bool) -> bool {
    sql_column(h, start).is_some_and(names) || csv_column(h, start).is_some_and(names)
}

/// The ranges of the fields of `line`, split at `delim` outside double quotes.
fn csv_fields(line: &[u8], delim: u8) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut from = Some(0);
    std::iter::from_fn(move || {
        let start = from?;
        let mut quoted = false;
        for (i, &b) in line.iter().enumerate().skip(start) {
            if b == b'"' {
                quoted = !quoted;
            } else if b == delim && !quoted {
                from = Some(i + 1);
                return Some((start, i));
            }
        }
        from = None;
        Some((start, line.len()))
    })
}

/// A column name without the spaces, quotes and brackets around it.
fn trim_name(name: &[u8]) -> &[u8] {
    let strip = |b: &u8| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'`' | b'[' | b']');
    let from = name.iter().position(|b| !strip(b)).unwrap_or(name.len());
    let to = name.iter().rposition(|b| !strip(b)).map_or(from, |i| i + 1);
    &name[from..to]
}

/// The name of the CSV column holding `start`: the field of the first line of `h` at the
/// value's place in its row, when the first line is a header (a delimiter, `,` `;` tab or
/// `|`, and as many fields as the row) within [`COLUMN_WINDOW`] bytes.
fn csv_column(h: &[u8], start: usize) -> Option<&[u8]> {
    let header_end = memchr::memchr(b'\n', &h[..h.len().min(COLUMN_WINDOW)])?;
    if start <= header_end {
        return None;
    }
    let header = h[..header_end]
        .strip_suffix(b"\r")
        .unwrap_or(&h[..header_end]);
    let delim = [b',', b';', b'\t', b'|']
        .into_iter()
        .map(|d| (memchr::memchr_iter(d, header).count(), d))
        .max()
        .filter(|&(count, _)| count > 0)?
        .1;
    let lo = start.saturating_sub(COLUMN_WINDOW).max(header_end);
    let row_start = lo + memchr::memrchr(b'\n', &h[lo..start])? + 1;
    let hi = start.saturating_add(COLUMN_WINDOW).min(h.len());
    let row_end = match memchr::memchr(b'\n', &h[start..hi]) {
        Some(i) => start + i,
        None if hi == h.len() => hi,
        None => return None,
    };
    let row = &h[row_start..row_end];
    let row = row.strip_suffix(b"\r").unwrap_or(row);
    let at = start - row_start;
    let mut column = None;
    let mut row_fields = 0;
    for (i, (s, e)) in csv_fields(row, delim).enumerate() {
        if (s..=e).contains(&at) && column.is_none() {
            column = Some(i);
        }
        row_fields = i + 1;
    }
    let column = column?;
    if csv_fields(header, delim).count() != row_fields {
        return None;
    }
    let (s, e) = csv_fields(header, delim).nth(column)?;
    Some(trim_name(&header[s..e]))
}

/// The name of the SQL column holding `start`, a value of `INSERT INTO t (a, b, c) VALUES
/// (…, …, …)` (several rows too) that starts within [`COLUMN_WINDOW`] bytes before it.
fn sql_column(h: &[u8], start: usize) -> Option<&[u8]> {
    let window = &h[start.saturating_sub(COLUMN_WINDOW)..start];
    // A value in a row has a `(` before it on its line; most numbers in code have none, and
    // looking for one costs less than looking for `VALUES`.
    let line_start = memchr::memrchr(b'\n', window).map_or(0, |i| i + 1);
    memchr::memrchr(b'(', &window[line_start..])?;
    let values = memchr::memrchr2_iter(b'v', b'V', window).find(|&i| {
        window[i..]
            .get(..6)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"values"))
    })?;
    let before = window[..values].trim_ascii_end();
    let columns = before.strip_suffix(b")")?;
    let columns = &columns[memchr::memrchr(b'(', columns)? + 1..];
    // The value's place in its row: commas at depth 1, outside quotes.
    let (mut depth, mut quote, mut index) = (0usize, None, 0usize);
    for &b in &window[values + b"values".len()..] {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'\'' | b'"') => quote = Some(b),
            (None, b'(') => {
                depth += 1;
                if depth == 1 {
                    index = 0;
                }
            }
            (None, b')') => depth = depth.saturating_sub(1),
            (None, b',') if depth == 1 => index += 1,
            _ => {}
        }
    }
    if depth != 1 {
        return None;
    }
    let name = columns.split(|&b| b == b',').nth(index)?;
    Some(trim_name(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pii::PiiKind;
    use crate::pii::testing::{assert_found, assert_none};

    #[test]
    fn phone_words_count_as_whole_words_only() {
        for name in [
            "phone",
            "homePhone",
            "phonenumber",
            "TEL",
            "tel_no",
            "mobileNumber",
            "fax",
            "Téléphone",
            "contact number",
            "cell",
        ] {
            assert!(names_phone(name.as_bytes()), "{name}");
        }
        for name in [
            "telemetry",
            "hotel",
            "cellar",
            "mobility",
            "faxed",
            "intel",
            "excel",
        ] {
            assert!(!names_phone(name.as_bytes()), "{name}");
        }
    }

    #[test]
    fn columns_are_named_by_a_csv_header_or_an_sql_column_list() {
        let csv = "id,name,phone\n1,\"Roe, Jane\",0170595952\n";
        let at = csv.find("0170").expect("in the text");
        assert_eq!(csv_column(csv.as_bytes(), at), Some(&b"phone"[..]));
        // A row with another field count is not under that header.
        let ragged = "id,name,phone\n1,0170595952\n";
        assert_eq!(
            csv_column(ragged.as_bytes(), ragged.find("0170").expect("in")),
            None
        );
        let sql = "INSERT INTO t (`id`, \"name\", phone) VALUES\n  (1, 'O''Hara, Jo', '0170'),\n  \
                   (2, 'Roe, Jane', '0170595952');";
        let at = sql.rfind("0170").expect("in the text");
        assert_eq!(sql_column(sql.as_bytes(), at), Some(&b"phone"[..]));
        assert_eq!(
            sql_column(sql.as_bytes(), sql.find("2,").expect("in")),
            Some(&b"id"[..])
        );
        assert_eq!(
            label_before(b"{\"a\": 1, \"phone\": \"0170", 19),
            b" \"phone\": \""
        );
    }

    #[test]
    fn keyword_window_is_bounded() {
        let far = format!("ssn{}536228745", " ".repeat(KEYWORD_WINDOW + 10));
        assert_none(&far, PiiKind::UsSsn);
        let near = format!("ssn{}536228745", " ".repeat(KEYWORD_WINDOW - 10));
        assert_found(&near, PiiKind::UsSsn, "536228745");
    }
}
