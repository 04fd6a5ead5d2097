//! The topology file (TOML): the forest, the SIP domains (the first is the default) and one
//! `[[pool]]` table per pool. Reading it checks every value and keeps the line of each domain
//! and pool, so that the checks against the database can name the line too. An example:
//! `packaging/topology.example.toml`.

use crate::domain::AppError;
use crate::domain::pool::PoolState;
use crate::domain::sip::is_valid_domain;
use crate::domain::topology::{
    MAX_TOPOLOGY_BYTES, Topology, TopologyPool, TopologyProblem, check_capacity, check_fqdn, check_site,
};
use crate::formats::Lines;
use serde::Deserialize;
use std::collections::HashSet;
use std::fmt::Write;
use toml::Spanned;

/// A file once read: the topology, and the line each domain and pool starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopologyFile {
    pub topology: Topology,
    pub forest_line: u64,
    pub domain_lines: Vec<u64>,
    pub pool_lines: Vec<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileFormat {
    forest: Spanned<String>,
    sip_domains: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pool: Vec<Spanned<PoolFormat>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PoolFormat {
    fqdn: Spanned<String>,
    kind: Spanned<String>,
    version: Spanned<String>,
    site: Spanned<String>,
    capacity: Spanned<i64>,
    #[serde(default = "yes")]
    available: bool,
    #[serde(default)]
    state: Option<Spanned<String>>,
}

fn yes() -> bool {
    true
}

fn invalid(line: u64, problem: TopologyProblem) -> AppError {
    AppError::TopologyInvalid { line, problem }
}

/// Reads a topology file; the first problem found is the answer, with its line.
pub fn parse(text: &str) -> Result<TopologyFile, AppError> {
    if text.len() > MAX_TOPOLOGY_BYTES {
        return Err(AppError::FileTooLarge { max_bytes: MAX_TOPOLOGY_BYTES as u64 });
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = Lines::new(text);
    let file: FileFormat = toml::from_str(text).map_err(|error| {
        let line = error.span().map_or(1, |span| lines.of(span.start as u64));
        invalid(line, TopologyProblem::Syntax)
    })?;
    let mut line_of = |span: std::ops::Range<usize>| lines.of(span.start as u64);

    let forest_line = line_of(file.forest.span());
    let forest = file.forest.get_ref().trim().to_ascii_lowercase();
    if !is_valid_domain(&forest) {
        return Err(invalid(forest_line, TopologyProblem::InvalidForest));
    }

    let domains_line = line_of(file.sip_domains.span());
    let mut sip_domains = Vec::new();
    let mut domain_lines = Vec::new();
    let mut seen = HashSet::new();
    for domain in file.sip_domains.into_inner() {
        let line = line_of(domain.span());
        let name = domain.get_ref().trim().to_ascii_lowercase();
        if !is_valid_domain(&name) {
            return Err(invalid(line, TopologyProblem::InvalidDomain));
        }
        if !seen.insert(name.clone()) {
            return Err(invalid(line, TopologyProblem::DuplicateDomain));
        }
        sip_domains.push(name);
        domain_lines.push(line);
    }
    if sip_domains.is_empty() {
        return Err(invalid(domains_line, TopologyProblem::NoDomain));
    }

    let mut pools = Vec::new();
    let mut pool_lines = Vec::new();
    let mut fqdns = HashSet::new();
    for entry in file.pool {
        let pool_line = line_of(entry.span());
        let p = entry.into_inner();
        let at = |value_line: u64, problem| invalid(value_line, problem);
        let fqdn_line = line_of(p.fqdn.span());
        let fqdn = check_fqdn(p.fqdn.get_ref()).map_err(|e| at(fqdn_line, e))?;
        if !fqdns.insert(fqdn.clone()) {
            return Err(at(fqdn_line, TopologyProblem::DuplicateFqdn));
        }
        let kind =
            p.kind.get_ref().parse().map_err(|_| at(line_of(p.kind.span()), TopologyProblem::InvalidKind))?;
        let version = p
            .version
            .get_ref()
            .parse()
            .map_err(|_| at(line_of(p.version.span()), TopologyProblem::InvalidVersion))?;
        let site = check_site(p.site.get_ref()).map_err(|e| at(line_of(p.site.span()), e))?;
        let capacity =
            check_capacity(*p.capacity.get_ref()).map_err(|e| at(line_of(p.capacity.span()), e))?;
        let state = match &p.state {
            None => PoolState::Active,
            Some(state) => match state.get_ref().as_str() {
                "active" => PoolState::Active,
                "deactivated" => PoolState::Deactivated,
                _ => return Err(at(line_of(state.span()), TopologyProblem::InvalidState)),
            },
        };
        pools.push(TopologyPool { fqdn, kind, version, site, capacity, available: p.available, state });
        pool_lines.push(pool_line.min(fqdn_line));
    }
    Ok(TopologyFile {
        topology: Topology { forest, sip_domains, pools },
        forest_line,
        domain_lines,
        pool_lines,
    })
}

fn quoted(value: &str) -> String {
    // A TOML basic string is a JSON string for the characters a checked value can hold.
    toml::Value::String(value.to_owned()).to_string()
}

/// Writes a topology as a file that `parse` reads back to the same topology.
pub fn write(topology: &Topology) -> String {
    let mut out = String::from("# UC Admin topology. Import with `uc-admin topology import FILE`.\n");
    let _ = writeln!(out, "forest = {}", quoted(&topology.forest));
    let domains: Vec<String> = topology.sip_domains.iter().map(|d| quoted(d)).collect();
    let _ = writeln!(out, "# The first SIP domain is the default of new SIP URIs.");
    let _ = writeln!(out, "sip_domains = [{}]", domains.join(", "));
    for pool in &topology.pools {
        let _ = writeln!(out, "\n[[pool]]");
        let _ = writeln!(out, "fqdn = {}", quoted(&pool.fqdn));
        let _ = writeln!(out, "kind = {}", quoted(pool.kind.as_str()));
        let _ = writeln!(out, "version = {}", quoted(pool.version.as_str()));
        let _ = writeln!(out, "site = {}", quoted(&pool.site));
        let _ = writeln!(out, "capacity = {}", pool.capacity);
        let _ = writeln!(out, "available = {}", pool.available);
        let _ = writeln!(out, "state = {}", quoted(pool.state.as_str()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../packaging/topology.example.toml");

    fn problem_at(text: &str) -> (u64, TopologyProblem) {
        match parse(text) {
            Err(AppError::TopologyInvalid { line, problem }) => (line, problem),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn the_example_reads_and_writes_back_the_same() {
        let file = parse(EXAMPLE).unwrap();
        assert_eq!(file.topology.forest, "contoso.com");
        assert_eq!(file.topology.sip_domains[0], "contoso.com");
        assert!(file.topology.pools.len() >= 3);
        let sites: HashSet<&str> = file.topology.pools.iter().map(|p| p.site.as_str()).collect();
        assert_eq!(sites.len(), 2, "a two-site company");
        let again = parse(&write(&file.topology)).unwrap();
        assert_eq!(again.topology, file.topology);
    }

    #[test]
    fn each_bad_line_is_named() {
        let head = "forest = \"contoso.com\"\nsip_domains = [\"contoso.com\"]\n";
        let pool = |body: &str| format!("{head}\n[[pool]]\n{body}");
        let good = "fqdn = \"p1.contoso.com\"\nkind = \"enterprise\"\nversion = \"ocs2007r2\"\nsite = \"Redmond\"\ncapacity = 100\n";
        assert!(parse(&pool(good)).is_ok());
        assert_eq!(problem_at("forest = \n"), (1, TopologyProblem::Syntax));
        assert_eq!(problem_at(&pool(&format!("{good}colour = \"red\"\n"))).1, TopologyProblem::Syntax);
        assert_eq!(
            problem_at("forest = \"no way\"\nsip_domains = [\"a.com\"]\n"),
            (1, TopologyProblem::InvalidForest)
        );
        assert_eq!(problem_at("forest = \"c.com\"\nsip_domains = []\n"), (2, TopologyProblem::NoDomain));
        assert_eq!(
            problem_at("forest = \"c.com\"\nsip_domains = [\n  \"a.com\",\n  \"A.com\",\n]\n"),
            (4, TopologyProblem::DuplicateDomain)
        );
        assert_eq!(
            problem_at("forest = \"c.com\"\nsip_domains = [\"a b\"]\n"),
            (2, TopologyProblem::InvalidDomain)
        );
        assert_eq!(
            problem_at(&pool(&good.replace("p1.contoso.com", "p1"))),
            (5, TopologyProblem::InvalidFqdn)
        );
        assert_eq!(
            problem_at(&pool(&good.replace("enterprise", "director"))),
            (6, TopologyProblem::InvalidKind)
        );
        assert_eq!(
            problem_at(&pool(&good.replace("ocs2007r2", "lync2010"))),
            (7, TopologyProblem::InvalidVersion)
        );
        assert_eq!(problem_at(&pool(&good.replace("Redmond", ""))), (8, TopologyProblem::InvalidSite));
        assert_eq!(problem_at(&pool(&good.replace("100", "0"))), (9, TopologyProblem::InvalidCapacity));
        assert_eq!(
            problem_at(&pool(&format!("{good}state = \"removed\"\n"))),
            (10, TopologyProblem::InvalidState)
        );
        let twice = format!("{}\n[[pool]]\n{}", pool(good), good.replace("p1.contoso.com", "P1.contoso.com"));
        assert_eq!(problem_at(&twice), (12, TopologyProblem::DuplicateFqdn));
    }

    #[test]
    fn a_file_too_large_is_refused_before_reading() {
        let big = "#".repeat(MAX_TOPOLOGY_BYTES + 1);
        assert_eq!(parse(&big).err(), Some(AppError::FileTooLarge { max_bytes: MAX_TOPOLOGY_BYTES as u64 }));
    }
}
