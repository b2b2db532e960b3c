-- Failed sign-ins per email and 15-minute window. Once an email has 10 in the current window,
-- every further attempt is refused (429, Retry-After) until the window ends, before any
-- password is derived: a password cannot be guessed at the edge's speed. The scheduled sweep
-- drops ended windows.
CREATE TABLE sign_in_failures (
  email        TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  failures     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (email, window_start)
);
