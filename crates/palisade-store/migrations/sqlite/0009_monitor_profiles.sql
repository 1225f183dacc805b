-- 0009 monitor profiles: what the detectors learned about each person (the hours of the
-- week they work, the addresses they come from, their daily repositories), kept between
-- runs so that baselines and rare hours need no re-reading of old logs.
-- Never edit this file once released: add a new migration instead (the checksum is checked).

CREATE TABLE monitor_profiles (
    person     TEXT   PRIMARY KEY NOT NULL,
    profile    TEXT   NOT NULL, -- JSON, bounded in size whatever the number of events
    updated_us BIGINT NOT NULL
);
