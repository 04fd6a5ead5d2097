-- The site each pool is in (topology files and the Topology page). Existing pools get the name
-- Active Directory gives the first site of a forest.
ALTER TABLE pools ADD COLUMN site TEXT NOT NULL DEFAULT 'Default-First-Site-Name';
UPDATE pools SET site = 'Redmond'
 WHERE (SELECT value FROM settings WHERE key = 'deployment') = 'demo'
   AND fqdn IN ('pool01.contoso.com', 'pool02.contoso.com', 'se01.contoso.com', 'lcs2005.contoso.com');
UPDATE pools SET site = 'Dublin'
 WHERE (SELECT value FROM settings WHERE key = 'deployment') = 'demo'
   AND fqdn IN ('pool03.contoso.com', 'ocs2007.contoso.com', 'se02.contoso.com');
