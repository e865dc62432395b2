"""Entity resolution: link agency Records into Persons."""
