"""Importers: bring keys kept elsewhere (a Rails app's encrypted table, a .env file) into keyvault.

Sources (`rails_crypto`, `rails_keys`, `rails_source`, `dotenv_source`) only read; `plan` decides
what each found key would become, with masks only; `service` applies a plan, and every value is
written by `store.store_value`, the one place importers write settings.
"""
