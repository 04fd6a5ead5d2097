//! A real OpenLDAP server for the tests that need a directory (sync, sign-in): Debian's slapd
//! on a free loopback port, with its own configuration and database in a temporary folder.

use crate::server::organizations::ldap_sync::LdapSettings;
use ldap3::LdapConnAsync;
use std::collections::HashSet as Set;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A real OpenLDAP server (Debian's slapd) on a free loopback port, with its own
/// configuration and database in a temporary directory; stopped and removed on drop.
pub(crate) struct Slapd {
    child: Child,
    dir: std::path::PathBuf,
    pub(crate) url: String,
}

pub(crate) const SUFFIX: &str = "dc=example,dc=com";
pub(crate) const ADMIN: &str = "cn=admin,dc=example,dc=com";
pub(crate) const SECRET: &str = "test-secret";

impl Slapd {
    pub(crate) async fn start() -> Slapd {
        let slapd = ["/usr/sbin/slapd", "/usr/local/sbin/slapd"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("slapd is not installed: scripts/setup.sh installs Debian's slapd");
        let dir = std::env::temp_dir().join(format!(
            "uc-admin-slapd-{}-{}",
            std::process::id(),
            crate::server::security::operators::random_guid()
        ));
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let conf = format!(
            "include /etc/ldap/schema/core.schema\n\
             include /etc/ldap/schema/cosine.schema\n\
             include /etc/ldap/schema/nis.schema\n\
             include /etc/ldap/schema/inetorgperson.schema\n\
             pidfile {dir}/slapd.pid\n\
             modulepath /usr/lib/ldap\n\
             moduleload back_mdb\n\
             database mdb\n\
             maxsize 10485760\n\
             suffix \"{SUFFIX}\"\n\
             rootdn \"{ADMIN}\"\n\
             rootpw {SECRET}\n\
             directory {dir}/data\n",
            dir = dir.display()
        );
        std::fs::write(dir.join("slapd.conf"), conf).unwrap();
        let url = format!("ldap://127.0.0.1:{port}");
        // slapd's output goes to a file in its folder, not /dev/null (see tests/common).
        let log = std::fs::File::create(dir.join("slapd.log")).unwrap();
        let child = Command::new(slapd)
            .args(["-f", &dir.join("slapd.conf").to_string_lossy(), "-h", &format!("{url}/"), "-d", "0"])
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start slapd");
        let server = Slapd { child, dir, url };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("slapd did not start on {}", server.url);
    }

    pub(crate) async fn admin(&self) -> ldap3::Ldap {
        let (conn, mut ldap) = LdapConnAsync::new(&self.url).await.unwrap();
        ldap3::drive!(conn);
        ldap.simple_bind(ADMIN, SECRET).await.unwrap().success().unwrap();
        ldap
    }

    pub(crate) fn settings(&self) -> LdapSettings {
        LdapSettings {
            url: self.url.clone(),
            bind_dn: Some(ADMIN.into()),
            password: Some(SECRET.into()),
            base_dn: format!("ou=People,{SUFFIX}"),
            filter: "(objectClass=inetOrgPerson)".into(),
            org_attribute: "o".into(),
            guid_attribute: "entryUUID".into(),
            starttls: false,
        }
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub(crate) async fn add_person(ldap: &mut ldap3::Ldap, uid: &str, name: &str, org: Option<&str>) {
    let (given, sn) = name.split_once(' ').unwrap();
    let mail = format!("{uid}@example.com");
    let mut attrs: Vec<(&str, Set<&str>)> = vec![
        ("objectClass", Set::from(["inetOrgPerson"])),
        ("uid", Set::from([uid])),
        ("cn", Set::from([name])),
        ("givenName", Set::from([given])),
        ("sn", Set::from([sn])),
        ("mail", Set::from([mail.as_str()])),
    ];
    if let Some(org) = org {
        attrs.push(("o", Set::from([org])));
    }
    ldap.add(&format!("uid={uid},ou=People,{SUFFIX}"), attrs).await.unwrap().success().unwrap();
}

pub(crate) async fn directory(server: &Slapd) -> ldap3::Ldap {
    let mut ldap = server.admin().await;
    ldap.add(
        SUFFIX,
        vec![
            ("objectClass", Set::from(["dcObject", "organization"])),
            ("dc", Set::from(["example"])),
            ("o", Set::from(["Example"])),
        ],
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    ldap.add(
        &format!("ou=People,{SUFFIX}"),
        vec![("objectClass", Set::from(["organizationalUnit"])), ("ou", Set::from(["People"]))],
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    ldap
}
