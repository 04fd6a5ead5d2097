//! The files operators import and export, read and written without the server: no database,
//! no runtime. Kept apart from `server` so that the fuzz targets (`fuzz/`) can build them
//! without compiling sqlx, axum and tokio under sanitizers.

pub mod org_csv;
pub mod topology;
pub mod user_data_xml;

#[doc(hidden)]
pub mod checks;

/// Line numbers for the messages that point into a file, as an editor shows them: `\n`, `\r\n`
/// and a lone `\r` each end a line. Positions mostly move forward, so the file is counted
/// once; counting from the start for every element made a large file take hours.
pub(crate) struct Lines<'a> {
    text: &'a [u8],
    /// Counted up to here.
    at: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a str) -> Lines<'a> {
        Lines { text: text.as_bytes(), at: 0, line: 1 }
    }

    /// The line the byte at `pos` is on (the last line past the end).
    pub(crate) fn of(&mut self, pos: u64) -> u64 {
        let pos = usize::try_from(pos).unwrap_or(usize::MAX).min(self.text.len());
        if pos < self.at {
            (self.at, self.line) = (0, 1);
        }
        let text = self.text;
        let breaks = (self.at..pos)
            .filter(|&i| text[i] == b'\n' || (text[i] == b'\r' && text.get(i + 1) != Some(&b'\n')))
            .count();
        self.line += breaks as u64;
        self.at = pos;
        self.line
    }

    /// Where the text from `pos` on starts, once past any line ends.
    pub(crate) fn skip_line_ends(&self, pos: u64) -> u64 {
        let start = usize::try_from(pos).unwrap_or(usize::MAX).min(self.text.len());
        let skipped = self.text[start..].iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
        (start + skipped) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::Lines;

    #[test]
    fn lines_count_every_kind_of_line_end_once() {
        let mut lines = Lines::new("a\nb\r\nc\rd\r\n");
        assert_eq!([0, 1, 2, 3, 4, 5].map(|p| lines.of(p)), [1, 1, 2, 2, 2, 3]);
        assert_eq!([7, 8, 9, 100].map(|p| lines.of(p)), [4, 4, 4, 5]);
        assert_eq!(lines.of(0), 1, "going back counts again");
        assert_eq!(lines.skip_line_ends(3), 5);
    }
}
