-- no-transaction
vacuum analyze accounts;
