"""Data exchange: the files Parcours receives (SPEC §6).

- `registry`: every file received is registered (`DataImport`), stored in the private storage with an expiry,
  then run; a Celery task or a command calls `import_run(data_import=…)` and reads the progress from the record.
- `caf_flux`: the CAF/MSA beneficiaries flux (VRSB0801, XML, windows-1252), streamed.
- `france_travail`: the France Travail beneficiaries extract (`;` CSV) and its review queue.
- `generator`: valid VRSB0801 files of any size, for tests and benchmarks.
"""
