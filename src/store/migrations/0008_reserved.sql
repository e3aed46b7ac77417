-- Reserved: migration 0008 belongs to another branch (the integrator
-- replaces this placeholder with it when merging). Nothing to do.
SELECT 1;
