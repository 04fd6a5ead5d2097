//! Server-side paging, sorting and quick filtering of user lists.

use super::AppError;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};

pub const PAGE_SIZES: [u32; 4] = [25, 50, 100, 200];
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// Longest quick filter accepted, in characters.
pub const MAX_FILTER_CHARS: usize = 100;

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    #[default]
    DisplayName,
    SipUri,
    Pool,
    Version,
    EnhancedPresence,
    Status,
}

impl SortKey {
    pub const ALL: [SortKey; 6] = [
        SortKey::DisplayName,
        SortKey::SipUri,
        SortKey::Pool,
        SortKey::Version,
        SortKey::EnhancedPresence,
        SortKey::Status,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::DisplayName => "display_name",
            SortKey::SipUri => "sip_uri",
            SortKey::Pool => "pool",
            SortKey::Version => "version",
            SortKey::EnhancedPresence => "enhanced_presence",
            SortKey::Status => "status",
        }
    }

    pub fn parse(s: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SortDir {
    #[default]
    Asc,
    Desc,
}

impl SortDir {
    pub fn as_str(self) -> &'static str {
        match self {
            SortDir::Asc => "asc",
            SortDir::Desc => "desc",
        }
    }

    pub fn reversed(self) -> SortDir {
        match self {
            SortDir::Asc => SortDir::Desc,
            SortDir::Desc => SortDir::Asc,
        }
    }
}

/// What a user list shows: filter, order and page. Its URL form is the page's query string.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserQuery {
    /// Case-insensitive text matched anywhere in the display name or SIP URI.
    pub filter: String,
    pub sort: SortKey,
    pub dir: SortDir,
    /// 1-based page number.
    pub page: u32,
    pub page_size: u32,
}

impl Default for UserQuery {
    fn default() -> Self {
        UserQuery {
            filter: String::new(),
            sort: SortKey::default(),
            dir: SortDir::default(),
            page: 1,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

/// Characters escaped in query-string values.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

impl UserQuery {
    /// Reads a query from URL parameters, falling back to defaults for absent or unusable
    /// values, so that a hand-edited URL still shows a sensible list.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> UserQuery {
        let d = UserQuery::default();
        UserQuery {
            filter: get("q").map(|q| q.trim().chars().take(MAX_FILTER_CHARS).collect()).unwrap_or_default(),
            sort: get("sort").and_then(|s| SortKey::parse(&s)).unwrap_or(d.sort),
            dir: match get("dir").as_deref() {
                Some("desc") => SortDir::Desc,
                _ => SortDir::Asc,
            },
            page: get("page").and_then(|p| p.parse().ok()).filter(|p| *p >= 1).unwrap_or(1),
            page_size: get("size")
                .and_then(|p| p.parse().ok())
                .filter(|p| PAGE_SIZES.contains(p))
                .unwrap_or(d.page_size),
        }
    }

    /// The query string (without `?`) that reproduces this query; defaults are left out.
    pub fn to_query_string(&self) -> String {
        let d = UserQuery::default();
        let mut parts = Vec::new();
        if !self.filter.is_empty() {
            parts.push(format!("q={}", utf8_percent_encode(&self.filter, QUERY_VALUE)));
        }
        if self.sort != d.sort {
            parts.push(format!("sort={}", self.sort.as_str()));
        }
        if self.dir != d.dir {
            parts.push(format!("dir={}", self.dir.as_str()));
        }
        if self.page != 1 {
            parts.push(format!("page={}", self.page));
        }
        if self.page_size != d.page_size {
            parts.push(format!("size={}", self.page_size));
        }
        parts.join("&")
    }

    /// Strict check on the server: anything out of range is an error, not a silent default.
    pub fn validate(&self) -> Result<(), AppError> {
        let ok = self.page >= 1
            && PAGE_SIZES.contains(&self.page_size)
            && self.filter.chars().count() <= MAX_FILTER_CHARS
            && !self.filter.chars().any(char::is_control);
        if ok { Ok(()) } else { Err(AppError::InvalidQuery) }
    }

    pub fn request(&self) -> Result<PageRequest, AppError> {
        PageRequest::new(self.page, self.page_size)
    }

    /// The same query sorted by `key`: ascending first, reversed when already sorted by it.
    pub fn sorted_by(&self, key: SortKey) -> UserQuery {
        let dir = if self.sort == key { self.dir.reversed() } else { SortDir::Asc };
        UserQuery { sort: key, dir, page: 1, ..self.clone() }
    }

    pub fn at_page(&self, page: u32) -> UserQuery {
        UserQuery { page, ..self.clone() }
    }
}

/// Which page of a list to read. The one paging convention of the portal: people, URLs and
/// server functions number pages from 1; only SQL sees an offset, counted from 0, and only
/// through `offset`. Page 0 does not exist (it is refused, never wrapped around).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    page: u32,
    page_size: u32,
}

impl PageRequest {
    pub fn new(page: u32, page_size: u32) -> Result<PageRequest, AppError> {
        if page == 0 || page_size == 0 {
            return Err(AppError::InvalidQuery);
        }
        Ok(PageRequest { page, page_size })
    }

    pub fn page(&self) -> u32 {
        self.page
    }

    pub fn page_size(&self) -> u32 {
        self.page_size
    }

    /// Rows to skip: `(page - 1) × page_size`.
    pub fn offset(&self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.page_size)
    }

    /// The page of `items` (read with `offset` and `page_size` as the limit) out of `total`.
    pub fn of<T>(&self, items: Vec<T>, total: u64) -> Page<T> {
        Page { items, total, page: self.page, page_size: self.page_size }
    }
}

/// One page of a list and the size of the whole list. `page` counts from 1.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u32,
    pub page_size: u32,
}

impl<T> Page<T> {
    /// At least 1: an empty list has one (empty) page.
    pub fn page_count(&self) -> u32 {
        let pages = self.total.div_ceil(u64::from(self.page_size.max(1)));
        u32::try_from(pages).unwrap_or(u32::MAX).max(1)
    }

    /// 1-based index of the first and last item shown, for "51–100 of 1,500".
    pub fn shown_range(&self) -> (u64, u64) {
        let first = u64::from(self.page.saturating_sub(1)) * u64::from(self.page_size);
        if self.items.is_empty() { (0, 0) } else { (first + 1, first + self.items.len() as u64) }
    }

    pub fn has_previous(&self) -> bool {
        self.page > 1
    }

    pub fn has_next(&self) -> bool {
        self.page < self.page_count()
    }
}

/// Escapes `%`, `_` and `\` so that user text is matched literally by SQL `LIKE ... ESCAPE '\'`.
pub fn like_contains_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

/// The GLOB pattern a trigram index of ASCII-lower-cased text answers for "contains `text`"
/// exactly as `LIKE` (which folds only ASCII letters) does, or None where the index cannot
/// serve it: fewer than three characters, or GLOB's own `*?[]` in the text.
pub fn trigram_contains_glob(text: &str) -> Option<String> {
    if text.chars().count() < 3 || text.contains(['*', '?', '[', ']']) {
        return None;
    }
    Some(format!("*{}*", text.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn a_trigram_glob_folds_ascii_only_and_refuses_what_it_cannot_serve() {
        assert_eq!(trigram_contains_glob("MÜLLer").as_deref(), Some("*mÜller*"));
        assert_eq!(trigram_contains_glob("50%_x").as_deref(), Some("*50%_x*"));
        assert_eq!(trigram_contains_glob("ab"), None);
        assert_eq!(trigram_contains_glob("a*bc"), None);
        assert_eq!(trigram_contains_glob("[abc"), None);
    }

    fn parse(pairs: &[(&str, &str)]) -> UserQuery {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        UserQuery::from_params(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_left_out_of_the_url() {
        assert_eq!(UserQuery::default().to_query_string(), "");
        assert_eq!(parse(&[]), UserQuery::default());
    }

    #[test]
    fn url_form_round_trips() {
        let q = UserQuery {
            filter: "Zoë & co 100%".into(),
            sort: SortKey::SipUri,
            dir: SortDir::Desc,
            page: 3,
            page_size: 100,
        };
        let qs = q.to_query_string();
        assert!(!qs.contains(' ') && !qs.contains('&') || qs.matches('&').count() == 4, "{qs}");
        let map: HashMap<String, String> = qs
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_string(), percent_encoding::percent_decode_str(v).decode_utf8().unwrap().into_owned())
            })
            .collect();
        assert_eq!(UserQuery::from_params(|k| map.get(k).cloned()), q);
    }

    #[test]
    fn unusable_url_values_fall_back_to_defaults() {
        let q = parse(&[("page", "0"), ("size", "7"), ("sort", "password"), ("dir", "sideways")]);
        assert_eq!(q, UserQuery::default());
    }

    #[test]
    fn server_validation_is_strict() {
        assert!(UserQuery::default().validate().is_ok());
        let bad = [
            UserQuery { page: 0, ..Default::default() },
            UserQuery { page_size: 1000, ..Default::default() },
            UserQuery { filter: "x".repeat(MAX_FILTER_CHARS + 1), ..Default::default() },
            UserQuery { filter: "a\u{0}b".into(), ..Default::default() },
        ];
        for q in bad {
            assert_eq!(q.validate(), Err(AppError::InvalidQuery), "{q:?}");
        }
    }

    #[test]
    fn sorting_toggles_direction_and_resets_the_page() {
        let q = UserQuery { page: 4, ..Default::default() };
        let by_name = q.sorted_by(SortKey::DisplayName);
        assert_eq!((by_name.dir, by_name.page), (SortDir::Desc, 1));
        let by_sip = q.sorted_by(SortKey::SipUri);
        assert_eq!(by_sip.dir, SortDir::Asc);
    }

    #[test]
    fn pages_count_and_range() {
        let p = Page { items: vec![0; 50], total: 1501, page: 2, page_size: 50 };
        assert_eq!(p.page_count(), 31);
        assert_eq!(p.shown_range(), (51, 100));
        let empty: Page<u8> = Page { items: vec![], total: 0, page: 1, page_size: 50 };
        assert_eq!(empty.page_count(), 1);
        assert_eq!(empty.shown_range(), (0, 0));
    }

    /// Reads `total` rows page by page the way the services do (LIMIT page_size OFFSET
    /// offset) and shows the pages cover every row exactly once, in order, for every page
    /// size and total in range, empty lists included, with nothing underflowing.
    #[test]
    fn paging_covers_every_row_once_for_every_size_and_total() {
        let sizes = (1..=13).chain(PAGE_SIZES).chain([100u32]);
        for size in sizes {
            for total in (0..=70u64).chain([199, 200, 201, 399, 400, 401, 1_000]) {
                let read = |req: PageRequest| -> Page<u64> {
                    let rows = (req.offset()..total).take(req.page_size() as usize).collect();
                    req.of(rows, total)
                };
                let first = read(PageRequest::new(1, size).unwrap());
                let pages = first.page_count();
                assert!(!first.has_previous());
                let mut seen = Vec::new();
                for n in 1..=pages {
                    let page = read(PageRequest::new(n, size).unwrap());
                    assert_eq!(page.page_count(), pages);
                    assert_eq!(page.has_next(), n < pages, "size {size} total {total} page {n}");
                    let (from, to) = page.shown_range();
                    if total == 0 {
                        assert_eq!((from, to), (0, 0));
                    } else {
                        assert_eq!(from, seen.len() as u64 + 1, "size {size} total {total} page {n}");
                        assert_eq!(to - from + 1, page.items.len() as u64);
                        assert!(!page.items.is_empty(), "no empty page inside a list");
                    }
                    seen.extend(page.items);
                }
                assert_eq!(seen, (0..total).collect::<Vec<_>>(), "size {size} total {total}");
                // Past the end: empty, never a panic or a wrapped offset.
                assert!(read(PageRequest::new(pages + 1, size).unwrap()).items.is_empty());
            }
        }
        assert_eq!(PageRequest::new(0, 50), Err(AppError::InvalidQuery));
        assert_eq!(PageRequest::new(1, 0), Err(AppError::InvalidQuery));
        assert_eq!(PageRequest::new(u32::MAX, 200).unwrap().offset(), u64::from(u32::MAX - 1) * 200);
        let odd: Page<u8> = Page { items: vec![], total: 0, page: 0, page_size: 50 };
        assert_eq!(odd.shown_range(), (0, 0), "a page 0 from an old client does not underflow");
    }

    #[test]
    fn like_patterns_treat_wildcards_literally() {
        assert_eq!(like_contains_pattern("a_b%c\\"), "%a\\_b\\%c\\\\%");
        assert_eq!(like_contains_pattern("o'brien"), "%o'brien%");
    }
}
