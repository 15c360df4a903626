-- Vacuum api_keys once 1% of its rows are dead (and 50, the default), not
-- 20%. Every last use written (a key's first, then one each 12.5 to 15
-- minutes while it is in use) is an update PostgreSQL cannot make in
-- place, as last_used_at is indexed: it leaves a dead row and clears its
-- page in the visibility map, and the keys list's index-only scans then
-- read that page too. On a million keys, the first uses of 18,000 keys in
-- rotation touched 46% of the table's pages: the expiry order's page 50
-- went from 9.7 ms to 17.8, and back to 12.6 after a vacuum of 2.3 s. At
-- 20%, autovacuum waited for 200,000 dead rows, hours of such last uses.
ALTER TABLE api_keys SET (autovacuum_vacuum_scale_factor = 0.01);
