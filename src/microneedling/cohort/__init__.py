"""Study cohorts: manifests, Dask analysis, paired statistics, reports and exports (FHIR R4B)."""
