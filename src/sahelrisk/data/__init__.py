"""Raw sources to validated tables: the catalog, downloads, readers, row validation with a
quarantine, one loader per source (:mod:`sahelrisk.data.sources`) and the data check."""
