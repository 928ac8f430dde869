//! Files agents and visitors send: which an admin allows (extensions and a size limit), and
//! whether a file's content is what its name says. The content's type is found by the caller
//! (magic bytes); here are only the rules.

use crate::message::{Attachment, MediaKind};
use serde::{Deserialize, Serialize};

/// The admin's rules for files sent in chats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRules {
    /// Allowed extensions, lower case, without the dot.
    pub extensions: Vec<String>,
    /// The largest file, in bytes.
    pub max_bytes: u64,
}

/// The largest limit an admin may set.
pub const MAX_FILE_BYTES: u64 = 50 * 1024 * 1024;
/// Every extension whose content we can check: the signatures its content may carry (as
/// their usual extension; none for text), how it shows, and the type it is served as.
const KNOWN: &[(&str, &[&str], MediaKind, &str)] = &[
    ("jpg", &["jpg"], MediaKind::Image, "image/jpeg"),
    ("jpeg", &["jpg"], MediaKind::Image, "image/jpeg"),
    ("png", &["png"], MediaKind::Image, "image/png"),
    ("gif", &["gif"], MediaKind::Image, "image/gif"),
    ("webp", &["webp"], MediaKind::Image, "image/webp"),
    ("heic", &["heif", "heic"], MediaKind::Image, "image/heic"),
    ("pdf", &["pdf"], MediaKind::Document, "application/pdf"),
    (
        "docx",
        &["docx"],
        MediaKind::Document,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "xlsx",
        &["xlsx"],
        MediaKind::Document,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "pptx",
        &["pptx"],
        MediaKind::Document,
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    (
        "odt",
        &["odt"],
        MediaKind::Document,
        "application/vnd.oasis.opendocument.text",
    ),
    ("zip", &["zip"], MediaKind::Other, "application/zip"),
    ("mp3", &["mp3"], MediaKind::Audio, "audio/mpeg"),
    ("m4a", &["m4a", "mp4"], MediaKind::Audio, "audio/mp4"),
    ("ogg", &["ogg", "oga"], MediaKind::Audio, "audio/ogg"),
    ("wav", &["wav"], MediaKind::Audio, "audio/wav"),
    ("mp4", &["mp4", "m4v"], MediaKind::Video, "video/mp4"),
    ("mov", &["mov"], MediaKind::Video, "video/quicktime"),
    ("webm", &["webm"], MediaKind::Video, "video/webm"),
    ("txt", &[], MediaKind::Document, "text/plain"),
    ("csv", &[], MediaKind::Document, "text/csv"),
    ("log", &[], MediaKind::Document, "text/plain"),
    ("md", &[], MediaKind::Document, "text/markdown"),
];

/// The signatures a file named `.ext` may carry (to look for them first).
pub fn signatures_for(ext: &str) -> &'static [&'static str] {
    KNOWN
        .iter()
        .find(|(k, ..)| *k == ext)
        .map_or(&[], |(_, sigs, ..)| sigs)
}

impl Default for FileRules {
    fn default() -> Self {
        Self {
            extensions: [
                "jpg", "jpeg", "png", "gif", "webp", "pdf", "txt", "csv", "docx", "xlsx", "mp3",
                "mp4",
            ]
            .iter()
            .map(|e| e.to_string())
            .collect(),
            max_bytes: 10 * 1024 * 1024,
        }
    }
}

/// What the content of a file turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A signature was found: its usual extension.
    Typed { extension: String },
    /// No signature, and valid UTF-8 text.
    Text,
    /// No signature, not text.
    Unknown,
}

/// Why a file is refused. Each names its rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileRefusal {
    #[error("The file is empty.")]
    Empty,
    #[error("A file needs a name with an extension (such as photo.jpg).")]
    NoExtension,
    #[error("Files ending in .{extension} are not allowed here. Allowed: {allowed}.")]
    ExtensionNotAllowed { extension: String, allowed: String },
    #[error("{}", too_large(*size, *limit))]
    TooLarge {
        /// Unknown when the upload did not declare it and ran past the limit.
        size: Option<u64>,
        limit: u64,
    },
    #[error("The file's content is not a .{extension} file{found}: its content must match its extension.", found = found.as_deref().map(|f| format!(" (it looks like .{f})")).unwrap_or_default())]
    ContentMismatch {
        extension: String,
        found: Option<String>,
    },
}

impl FileRefusal {
    /// A stable machine-readable name.
    pub fn code(&self) -> &'static str {
        match self {
            FileRefusal::Empty => "file_empty",
            FileRefusal::NoExtension => "file_no_extension",
            FileRefusal::ExtensionNotAllowed { .. } => "file_type_not_allowed",
            FileRefusal::TooLarge { .. } => "file_too_large",
            FileRefusal::ContentMismatch { .. } => "file_content_mismatch",
        }
    }
}

fn too_large(size: Option<u64>, limit: u64) -> String {
    match size {
        Some(size) => format!(
            "The file is {}; the limit is {}.",
            human_size(size),
            human_size(limit)
        ),
        None => format!(
            "The file is larger than the limit of {}.",
            human_size(limit)
        ),
    }
}

/// Why an admin's file rules are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileRulesError {
    #[error("Allow at least one file type.")]
    NoExtensions,
    #[error("Files ending in .{0} cannot be checked, so they cannot be allowed. Known: {known}.", known = known_extensions().join(", "))]
    UnknownExtension(String),
    #[error("The size limit must be between 1 KB and {} MB.", MAX_FILE_BYTES / 1024 / 1024)]
    LimitOutOfRange,
}

impl FileRulesError {
    pub fn code(&self) -> &'static str {
        match self {
            FileRulesError::NoExtensions => "no_file_types",
            FileRulesError::UnknownExtension(_) => "unknown_file_type",
            FileRulesError::LimitOutOfRange => "file_limit_out_of_range",
        }
    }
}

/// Every extension that may be allowed.
pub fn known_extensions() -> Vec<&'static str> {
    KNOWN.iter().map(|(e, ..)| *e).collect()
}

/// "2.4 MB", "800 KB", "12 B".
/// In whole numbers only: formatting a float would bring the float printer into the widget's
/// bundle for this one line.
pub fn human_size(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = KB * KB;
    // Rounded to the nearest unit (KB) or tenth (MB), halves up.
    if bytes < KB {
        format!("{bytes} B")
    } else if bytes < MB {
        format!("{} KB", (bytes + KB / 2) / KB)
    } else {
        let tenths = (bytes.saturating_mul(10).saturating_add(MB / 2)) / MB;
        format!("{}.{} MB", tenths / 10, tenths % 10)
    }
}

/// A file name's extension, lower case.
pub fn extension(filename: &str) -> Option<String> {
    let (stem, ext) = filename.trim().rsplit_once('.')?;
    let ext = ext.to_ascii_lowercase();
    (!stem.is_empty() && !ext.is_empty() && ext.chars().all(|c| c.is_ascii_alphanumeric()))
        .then_some(ext)
}

/// A file name safe to show and to send back in a header: no path, no control characters,
/// at most 120 characters.
pub fn clean_filename(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_string();
    if cleaned.chars().count() <= 120 {
        return cleaned;
    }
    match extension(&cleaned) {
        Some(ext) => {
            let stem: String = cleaned.chars().take(110).collect();
            format!("{stem}….{ext}")
        }
        None => cleaned.chars().take(120).collect(),
    }
}

impl FileRules {
    pub fn validate(&self) -> Result<(), FileRulesError> {
        if self.extensions.is_empty() {
            return Err(FileRulesError::NoExtensions);
        }
        for e in &self.extensions {
            if !KNOWN.iter().any(|(k, ..)| k == e) {
                return Err(FileRulesError::UnknownExtension(e.clone()));
            }
        }
        if !(1024..=MAX_FILE_BYTES).contains(&self.max_bytes) {
            return Err(FileRulesError::LimitOutOfRange);
        }
        Ok(())
    }

    /// Lower case, without dots or blanks, each once.
    pub fn normalized(mut self) -> Self {
        let mut out: Vec<String> = vec![];
        for e in &self.extensions {
            let e = e.trim().trim_start_matches('.').to_ascii_lowercase();
            if !e.is_empty() && !out.contains(&e) {
                out.push(e);
            }
        }
        self.extensions = out;
        self
    }

    /// Checks a file's name and size before its content arrives.
    pub fn check_name(&self, filename: &str, size: u64) -> Result<String, FileRefusal> {
        let ext = extension(filename).ok_or(FileRefusal::NoExtension)?;
        if !self.extensions.contains(&ext) {
            return Err(FileRefusal::ExtensionNotAllowed {
                extension: ext,
                allowed: self.extensions.join(", "),
            });
        }
        if size > self.max_bytes {
            return Err(FileRefusal::TooLarge {
                size: Some(size),
                limit: self.max_bytes,
            });
        }
        Ok(ext)
    }

    /// Checks a whole file: its name, its size, and that its content is what the extension
    /// says. What it is, as a message shows it.
    pub fn check(
        &self,
        filename: &str,
        size: u64,
        content: &Content,
    ) -> Result<Attachment, FileRefusal> {
        if size == 0 {
            return Err(FileRefusal::Empty);
        }
        let ext = self.check_name(filename, size)?;
        let Some((_, accepted, kind, mime)) = KNOWN.iter().find(|(k, ..)| *k == ext) else {
            return Err(FileRefusal::ExtensionNotAllowed {
                extension: ext,
                allowed: self.extensions.join(", "),
            });
        };
        let matches = match content {
            Content::Typed { extension } => {
                if !accepted.contains(&extension.as_str()) {
                    return Err(FileRefusal::ContentMismatch {
                        extension: ext.clone(),
                        found: Some(extension.clone()),
                    });
                }
                true
            }
            Content::Text => accepted.is_empty(),
            Content::Unknown => false,
        };
        if !matches {
            return Err(FileRefusal::ContentMismatch {
                extension: ext,
                found: None,
            });
        }
        Ok(Attachment {
            kind: *kind,
            filename: Some(clean_filename(filename)),
            mime: Some(mime.to_string()),
            size: Some(size),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1024), "1 KB");
        assert_eq!(human_size(1535), "1 KB");
        assert_eq!(human_size(1536), "2 KB");
        assert_eq!(human_size(1024 * 1024), "1.0 MB");
        assert_eq!(human_size(25 * 1024 * 1024), "25.0 MB");
        assert_eq!(human_size(1024 * 1024 * 3 / 2), "1.5 MB");
        assert_eq!(human_size(1024 * 1024 * 3 / 2 - 60_000), "1.4 MB");
        assert!(!human_size(u64::MAX).is_empty());
    }

    fn typed(ext: &str, _mime: &str) -> Content {
        Content::Typed {
            extension: ext.into(),
        }
    }

    #[test]
    fn an_allowed_file_whose_content_matches_becomes_an_attachment() {
        let rules = FileRules::default();
        let a = rules
            .check("Invoice May.PDF", 2048, &typed("pdf", "application/pdf"))
            .unwrap();
        assert_eq!(a.kind, MediaKind::Document);
        assert_eq!(a.filename.as_deref(), Some("Invoice May.PDF"));
        assert_eq!(a.mime.as_deref(), Some("application/pdf"));
        let photo = rules
            .check("a.jpeg", 10, &typed("jpg", "image/jpeg"))
            .unwrap();
        assert_eq!(photo.kind, MediaKind::Image);
        let notes = rules.check("notes.txt", 5, &Content::Text).unwrap();
        assert_eq!(notes.mime.as_deref(), Some("text/plain"));
    }

    #[test]
    fn each_rule_refuses_and_names_itself() {
        let rules = FileRules::default();
        let err = rules
            .check("run.exe", 10, &typed("exe", "application/x-msdownload"))
            .unwrap_err();
        assert_eq!(err.code(), "file_type_not_allowed");
        assert!(err.to_string().contains(".exe"), "{err}");
        assert!(err.to_string().contains("jpg, jpeg"), "{err}");
        let err = rules
            .check(
                "big.pdf",
                11 * 1024 * 1024,
                &typed("pdf", "application/pdf"),
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "The file is 11.0 MB; the limit is 10.0 MB."
        );
        // A program renamed to look like a picture.
        let err = rules
            .check("cat.jpg", 10, &typed("exe", "application/x-msdownload"))
            .unwrap_err();
        assert_eq!(err.code(), "file_content_mismatch");
        assert!(err.to_string().contains("looks like .exe"), "{err}");
        // Text where a picture should be; binary where text should be.
        assert_eq!(
            rules
                .check("cat.png", 10, &Content::Text)
                .unwrap_err()
                .code(),
            "file_content_mismatch"
        );
        assert_eq!(
            rules
                .check("a.txt", 10, &Content::Unknown)
                .unwrap_err()
                .code(),
            "file_content_mismatch"
        );
        assert_eq!(
            rules
                .check("a.txt", 10, &typed("pdf", "application/pdf"))
                .unwrap_err()
                .code(),
            "file_content_mismatch"
        );
        assert_eq!(
            rules.check("noext", 10, &Content::Text).unwrap_err(),
            FileRefusal::NoExtension
        );
        assert_eq!(
            rules.check(".png", 10, &Content::Text).unwrap_err(),
            FileRefusal::NoExtension
        );
        assert_eq!(
            rules.check("a.png", 0, &Content::Unknown).unwrap_err(),
            FileRefusal::Empty
        );
    }

    #[test]
    fn admin_rules_are_checked_and_normalized() {
        let rules = FileRules {
            extensions: vec![" .PNG".into(), "png".into(), "Pdf".into()],
            max_bytes: 1024 * 1024,
        }
        .normalized();
        assert_eq!(rules.extensions, ["png", "pdf"]);
        assert_eq!(rules.validate(), Ok(()));
        let unknown = FileRules {
            extensions: vec!["exe".into()],
            ..FileRules::default()
        };
        assert_eq!(
            unknown.validate(),
            Err(FileRulesError::UnknownExtension("exe".into()))
        );
        let none = FileRules {
            extensions: vec![],
            ..FileRules::default()
        };
        assert_eq!(none.validate(), Err(FileRulesError::NoExtensions));
        let huge = FileRules {
            max_bytes: MAX_FILE_BYTES + 1,
            ..FileRules::default()
        };
        assert_eq!(huge.validate(), Err(FileRulesError::LimitOutOfRange));
        assert_eq!(FileRules::default().validate(), Ok(()));
    }

    #[test]
    fn names_lose_paths_and_control_characters() {
        assert_eq!(clean_filename("C:\\Users\\me\\report.pdf"), "report.pdf");
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("a\u{0}b\n.txt"), "ab.txt");
        let long = format!("{}.pdf", "x".repeat(300));
        let short = clean_filename(&long);
        assert!(
            short.chars().count() <= 120 && short.ends_with(".pdf"),
            "{short}"
        );
    }
}
