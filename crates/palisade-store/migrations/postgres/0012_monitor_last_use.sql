-- 0012 monitor last use: when each person last used each resource, and what covered
-- the use (a standing role, a grant, or their team's services), as the activity monitor
-- decided while reading the logs. Access reviews read a standing role's or a grant's
-- last use from here. One row per person, resource and cover, never per event.
-- Never edit this file once released: add a new migration instead (the checksum is checked).

CREATE TABLE monitor_last_use (
    person   TEXT   NOT NULL, -- a handle of the model
    resource TEXT   NOT NULL, -- repository:<name> or resource:<environment>/<resource>
    via_kind TEXT   NOT NULL CHECK (via_kind IN ('role', 'grant', 'team')),
    via      TEXT   NOT NULL, -- the role id, the grant (request) id, or the team id
    last_us  BIGINT NOT NULL, -- the latest use seen (unix microseconds, UTC)
    uses     BIGINT NOT NULL CHECK (uses > 0), -- events counted, across runs
    PRIMARY KEY (person, resource, via_kind, via)
);
-- A role's last use for a person, a grant's last use.
CREATE INDEX monitor_last_use_by_via ON monitor_last_use (via_kind, via, person);
