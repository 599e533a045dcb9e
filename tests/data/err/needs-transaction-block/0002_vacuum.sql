-- strata:no-transaction
set local statement_timeout = '1min';
vacuum analyze accounts;
