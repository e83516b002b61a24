module github.com/lattestream/lattestream-go

go 1.19
