module dialcheck/gokit

go 1.19
