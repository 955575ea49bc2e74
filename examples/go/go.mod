module dialcheck.example/dialstate

go 1.19

require dialcheck/gokit v0.0.0

replace dialcheck/gokit => ../../gokit
