//! Terminal conventions, decided once for a command: colour only on a terminal and never with
//! `NO_COLOR` set (no-color.org) or `TERM=dumb`; progress redrawn in place only on a terminal
//! that can (`TERM=dumb` cannot: it gets the plain lines a log gets). Pure apart from `detect`.

/// What the terminal allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tty {
    /// stdout: colour in the summary.
    pub color: bool,
    /// stderr: the progress line redrawn in place.
    pub redraw: bool,
}

/// From whether stdout and stderr are terminals, `NO_COLOR` and `TERM`.
pub fn decide(out_tty: bool, err_tty: bool, no_color: Option<&str>, term: Option<&str>) -> Tty {
    let dumb = term == Some("dumb");
    let no_color = no_color.is_some_and(|v| !v.is_empty());
    Tty { color: out_tty && !no_color && !dumb, redraw: err_tty && !dumb }
}

/// This process's terminal conventions.
pub fn detect() -> Tty {
    // SAFETY: isatty only inspects the descriptor.
    let (out_tty, err_tty) = unsafe { (libc::isatty(1) == 1, libc::isatty(2) == 1) };
    let no_color = std::env::var("NO_COLOR").ok();
    let term = std::env::var("TERM").ok();
    decide(out_tty, err_tty, no_color.as_deref(), term.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_and_dumb_terminals_are_honoured() {
        let t = |o, e, nc, term| decide(o, e, nc, term);
        assert_eq!(t(true, true, None, Some("xterm")), Tty { color: true, redraw: true });
        assert_eq!(t(true, true, Some("1"), Some("xterm")), Tty { color: false, redraw: true });
        assert_eq!(t(true, true, Some(""), None), Tty { color: true, redraw: true }, "an empty NO_COLOR is unset");
        assert_eq!(t(true, true, None, Some("dumb")), Tty { color: false, redraw: false });
        assert_eq!(t(false, false, None, None), Tty { color: false, redraw: false });
    }
}
