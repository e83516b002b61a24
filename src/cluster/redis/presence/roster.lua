-- Returns the roster (see `roster`); KEYS as every channel script.
return roster(KEYS[3], KEYS[4])
