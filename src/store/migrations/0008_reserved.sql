-- Placeholder on the checkspeed branch only: number 0008 belongs to
-- another branch's migration, which replaces this file at merge.
SELECT 1;
