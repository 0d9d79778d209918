module example.com/hellodocker-go

go 1.15
