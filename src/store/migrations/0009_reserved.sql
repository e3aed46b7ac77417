-- Reserved: migration 0009 belongs to another branch (the integrator
-- replaces this placeholder with it when merging). Nothing to do.
SELECT 1;
