"""The clinic's own master data (profile, locations, practitioners, the price list) and the
foundation the apps stand on: tenants, accounts, exports, money, periods, registries."""
