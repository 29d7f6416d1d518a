"""Loading an Open Referral HSDS 3.0 directory into CONNECT's agencies and programs.

No web framework here: the `connect import-hsds` command and the administrators' import page both
call `directory_import.importer.import_directory`.
"""
