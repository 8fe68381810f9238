//! Per-path counts of the built-in target: which route class each answered request took, so a
//! test (or a person) can compare a run's per-endpoint counts with the target's own. The classes
//! are fixed (a path pattern each), so the counters are a small array per core and `/__stats`
//! stays bounded whatever paths clients send.
use super::request::Route;

/// The route classes, as `/__stats` names them under `"paths"`.
pub const PATHS: [&str; 12] = [
    "/",
    "/bytes/N",
    "/delay/MS",
    "/status/CODE",
    "POST /login",
    "POST /logout",
    "GET /api/items",
    "GET /api/items/N",
    "POST /api/items",
    "/health",
    "POST /webhooks/NAME",
    "other",
];

/// The class of `route` (an index into `PATHS`); None for `/__stats`, which is never counted.
pub(crate) fn class(route: Route) -> Option<usize> {
    Some(match route {
        Route::Root => 0,
        Route::Bytes(_) => 1,
        Route::Delay(_) => 2,
        Route::Status(_) => 3,
        Route::Login => 4,
        Route::Logout => 5,
        Route::Items => 6,
        Route::Item(_) => 7,
        Route::CreateItem => 8,
        Route::Health => 9,
        Route::Webhook => 10,
        Route::NotFound => 11,
        Route::Stats => return None,
    })
}

/// Answered requests per route class, summed over cores (`PATHS` order).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PathCounts(pub [u64; PATHS.len()]);

impl PathCounts {
    /// The count for the class named `name` (as in `PATHS`); 0 for a name not there.
    pub fn get(&self, name: &str) -> u64 {
        PATHS.iter().position(|p| *p == name).map_or(0, |i| self.0[i])
    }

    /// `"paths": {"/": N, ...}` (the classes with a count only), for `/__stats`.
    pub fn write_json(&self, w: &mut impl std::io::Write) -> std::io::Result<()> {
        write!(w, "\"paths\": {{")?;
        let mut sep = "";
        for (name, n) in PATHS.iter().zip(self.0).filter(|(_, n)| *n > 0) {
            write!(w, "{sep}\"{name}\": {n}")?;
            sep = ", ";
        }
        write!(w, "}}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_counted_route_has_a_class_and_the_json_lists_nonzero_ones() {
        assert_eq!(class(Route::Stats), None);
        assert_eq!(class(Route::Webhook).map(|i| PATHS[i]), Some("POST /webhooks/NAME"));
        let mut c = PathCounts::default();
        c.0[0] = 3;
        c.0[9] = 1;
        let mut out = Vec::new();
        c.write_json(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "\"paths\": {\"/\": 3, \"/health\": 1}");
        assert_eq!((c.get("/health"), c.get("nope")), (1, 0));
    }
}
