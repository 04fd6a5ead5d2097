//! The lines `scripts/bench.sh` gathers into its table: `BENCH|measure|figure|goal|status`.

use std::time::Duration;

/// A measure with a goal it passes or misses (`pass` None: a figure shown for information).
#[allow(dead_code)]
pub fn line(measure: &str, figure: &str, goal: &str, pass: Option<bool>) {
    let status = match pass {
        Some(true) => "pass",
        Some(false) => "miss",
        None => "info",
    };
    println!("BENCH|{measure}|{figure}|{goal}|{status}");
}

/// A duration with the goal "at most `limit`".
#[allow(dead_code)]
pub fn at_most(measure: &str, figure: Duration, limit: Duration) {
    line(measure, &millis(figure), &format!("≤ {}", millis(limit)), Some(figure <= limit));
}

pub fn millis(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms >= 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

/// Prints the query plans of each measure (its statements' EXPLAIN output, one step a line).
#[allow(dead_code)]
pub fn plans(plans: &[(&str, Vec<String>)]) {
    println!("\nquery plans (count, then page):");
    for (name, statements) in plans {
        println!("{name}");
        for plan in statements {
            for (i, step) in plan.lines().enumerate() {
                println!("    {} {step}", if i == 0 { "-" } else { " " });
            }
        }
    }
}
