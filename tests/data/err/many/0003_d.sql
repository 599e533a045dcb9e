select ÿ;
