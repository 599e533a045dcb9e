//! Checks of a whole loaded set's versions: orders that tools disagree on,
//! timestamps that name no real time. Warnings: the files still load.

use super::Migration;
use crate::diagnostic::{Diagnostic, ProblemCode};
use crate::name::NamingScheme;
use crate::version::VersionOrder;

/// The warnings about the versions of `migrations`, which are in `order`.
pub(super) fn check_versions(migrations: &[Migration], order: VersionOrder) -> Vec<Diagnostic> {
    let mut problems: Vec<Diagnostic> = migrations.iter().filter_map(impossible_time).collect();
    problems.extend(widths_that_reorder(migrations, order));
    problems
}

/// The smallest width of a version read as a date or a timestamp.
const DATE_WIDTH: usize = 8;

/// The warning when versions of different widths make numeric and text
/// order disagree: the tool that applied them may have run them in the
/// other order. Under numeric order, only dates and timestamps count:
/// unpadded sequence numbers (`9`, `10`) are how golang-migrate and goose
/// number files, and every tool that reads them compares numbers; a date
/// beside a timestamp (`20250103`, `20240101000002`) is what a text-comparing
/// tool such as the Supabase CLI places the other way.
fn widths_that_reorder(migrations: &[Migration], order: VersionOrder) -> Option<Diagnostic> {
    let other = match order {
        VersionOrder::Numeric => VersionOrder::Text,
        VersionOrder::Text => VersionOrder::Numeric,
    };
    let ours: Vec<&Migration> = migrations
        .iter()
        .filter(|m| order == VersionOrder::Text || m.version.width() >= DATE_WIDTH)
        .collect();
    let mut elsewhere = ours.clone();
    elsewhere.sort_by(|a, b| other.compare(&a.version, &b.version));
    let differ = |(a, b): &(&&Migration, &&Migration)| a.version.as_str() != b.version.as_str();
    let moved = ours.iter().zip(&elsewhere).filter(differ).count();
    // The first place the orders differ: strata's migration there comes
    // before the other order's, which the other order puts first.
    let (first, other_first) = ours.iter().zip(&elsewhere).find(differ)?;
    let (how, how_else) = match order {
        VersionOrder::Numeric => ("as numbers", "as text"),
        VersionOrder::Text => ("as text", "as numbers"),
    };
    Some(
        Diagnostic::warning(
            ProblemCode::MixedVersionWidths,
            &first.up.file,
            format!(
                "versions of different widths order differently {how} and {how_else}: strata compares them {how} and applies {} ({} digits) before {} ({} digits), which come the other way round {how_else} ({moved} migrations change places)",
                first.version,
                first.version.width(),
                other_first.version,
                other_first.version.width(),
            ),
        )
        .help(format!(
            "make sure strata's order is the one of the tool that applied them (the Supabase CLI compares text; golang-migrate, sqlx, dbmate and goose compare numbers) and set `order = \"{}\"` under [migrations] if not; or rename the files to versions of one width",
            other.as_str()
        )),
    )
}

/// The warning for a timestamp version that names no real time (month 13,
/// second 60): a mistyped version, which still runs in its numeric place.
fn impossible_time(m: &Migration) -> Option<Diagnostic> {
    let digits = &m.version.as_str()[..m.version.width()];
    let checked = match (digits.len(), m.scheme) {
        (8 | 12 | 14, NamingScheme::DatePrefix) | (14, _) => true,
        (12, NamingScheme::Timestamp) => digits.starts_with("19") || digits.starts_with("20"),
        _ => false,
    };
    if !checked || digits.bytes().all(|b| b == b'0') {
        // All zeros: diesel's `00000000000000_diesel_initial_setup`, a
        // conventional first version rather than a time.
        return None;
    }
    let reason = impossible_reason(digits)?;
    Some(
        Diagnostic::warning(
            ProblemCode::ImpossibleTimestamp,
            &m.up.file,
            format!(
                "version {} reads as a timestamp that names no real time: {reason}",
                m.version
            ),
        )
        .help("check the version for a typo; it still runs in its place by number, but tools that read it as a time may refuse or misplace it"),
    )
}

/// What is impossible in `YYYYMMDD[HHMM[SS]]`, if anything.
fn impossible_reason(digits: &str) -> Option<String> {
    let field = |at: usize| -> Option<u32> { digits.get(at..at + 2)?.parse().ok() };
    let year: u32 = digits.get(..4)?.parse().ok()?;
    let (month, day) = (field(4)?, field(6)?);
    if !(1..=12).contains(&month) {
        return Some(format!("month {month:02}"));
    }
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day == 0 || day > days {
        return Some(format!("day {day:02} of month {month:02} in {year}"));
    }
    if digits.len() >= 12 {
        let (hour, minute) = (field(8)?, field(10)?);
        if hour > 23 {
            return Some(format!("hour {hour:02}"));
        }
        if minute > 59 {
            return Some(format!("minute {minute:02}"));
        }
    }
    if digits.len() >= 14 {
        let second = field(12)?;
        if second > 59 {
            return Some(format!("second {second:02}"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::impossible_reason;

    #[test]
    fn impossible_times() {
        for (digits, reason) in [
            ("20240101120060", Some("second 60")),
            ("20241301000000", Some("month 13")),
            ("20240230000000", Some("day 30 of month 02 in 2024")),
            ("20230229000000", Some("day 29 of month 02 in 2023")),
            ("20240229235959", None),
            ("20240101246000", Some("hour 24")),
            ("202401011260", Some("minute 60")),
            ("20240431", Some("day 31 of month 04 in 2024")),
            ("20240430", None),
        ] {
            assert_eq!(impossible_reason(digits).as_deref(), reason, "{digits}");
        }
    }
}
