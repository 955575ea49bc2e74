module dialcheck.example/dialstate

go 1.19
