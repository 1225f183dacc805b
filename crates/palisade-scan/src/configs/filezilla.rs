//! FileZilla's `sitemanager.xml`, `recentservers.xml` and `filezilla.xml`: a server's
//! password is `<Pass>` in clear (the `filezilla-password` rule's regex finds those) or
//! `<Pass encoding="base64">`, decoded here. `encoding="crypt"` is encrypted with the
//! user's master password: no leak, not reported.
//! <https://wiki.filezilla-project.org/Config_files>

use memchr::memmem;

use super::{Sink, base64, place};

const OPEN: &[u8] = b"<Pass";
const CLOSE: &[u8] = b"</Pass>";

/// Reads every `<Pass encoding="base64">` element; the XML around them need not be whole.
pub(super) fn read(data: &[u8], sink: &mut Sink) {
    let mut at = 0;
    while let Some(found) = memmem::find(&data[at..], OPEN) {
        let open = at + found;
        let after = open + OPEN.len();
        match data.get(after) {
            Some(b'>' | b' ' | b'\t' | b'\r' | b'\n') => {}
            // `<Password>`, `<PassiveMode>`: another element.
            Some(_) => {
                at = after;
                continue;
            }
            None => {
                truncated(data, open, sink);
                return;
            }
        }
        let Some(end_of_tag) = memchr::memchr(b'>', &data[after..]) else {
            truncated(data, open, sink);
            return;
        };
        let attributes = &data[after..after + end_of_tag];
        let content_start = after + end_of_tag + 1;
        at = content_start;
        if attributes.ends_with(b"/") {
            continue;
        }
        let Some(length) = memmem::find(&data[content_start..], CLOSE) else {
            truncated(data, open, sink);
            return;
        };
        at = content_start + length + CLOSE.len();
        let lower = attributes.to_ascii_lowercase();
        let base64_encoded = [&b"encoding=\"base64\""[..], b"encoding='base64'"]
            .iter()
            .any(|a| memmem::find(&lower, a).is_some());
        if !base64_encoded {
            continue;
        }
        let content = &data[content_start..content_start + length];
        let lead = content
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
        let trail = content[lead..]
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
        let raw = content_start + lead..content_start + length - trail;
        match base64(&data[raw.clone()]) {
            Some(password) => sink.credential(raw, &password),
            None => sink.problem(format!(
                "the base64 <Pass> at {} does not decode",
                place(data, raw.start)
            )),
        }
    }
}

fn truncated(data: &[u8], open: usize, sink: &mut Sink) {
    sink.problem(format!(
        "the <Pass> element at {} is not closed (a truncated file?)",
        place(data, open)
    ));
}
