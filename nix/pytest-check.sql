-- postgresqlTestHook's setup SQL (its postgresqlTestSetupSQL variable) for the pytest check.
-- The hook runs `initdb -U postgres` without options, so in the sandbox's C locale the cluster is
-- SQL_ASCII: the database says UTF8 itself. pytest-django creates its own test database (hence
-- SUPERUSER), UTF-8 too through the test settings' DATABASES TEST options.
CREATE ROLE "test_user" LOGIN SUPERUSER;
CREATE DATABASE "test_db" OWNER "test_user" ENCODING 'UTF8' TEMPLATE template0;
