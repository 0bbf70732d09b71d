-- Run once by the postgres image on an empty data directory: one database per owner
-- (infra.migrations.DATABASE_OWNERS). `anchang migrate` then creates the tables.
CREATE DATABASE leads;
CREATE DATABASE inventory;
CREATE DATABASE transactions;
CREATE DATABASE complaints;
CREATE DATABASE archive;
CREATE DATABASE finance;
CREATE DATABASE gateway;
