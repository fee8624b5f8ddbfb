module github.com/edgeprint/edgeprint

go 1.26

require (
	github.com/OpenPrinting/goipp v1.2.0 // indirect
	github.com/coder/websocket v1.8.14 // indirect
	github.com/hashicorp/yamux v0.1.2 // indirect
	github.com/minio/sio v0.4.1 // indirect
	github.com/prometheus/client_golang v1.23.2 // indirect
	go.etcd.io/bbolt v1.4.3 // indirect
	golang.org/x/crypto v0.45.0 // indirect
	golang.org/x/sync v0.20.0 // indirect
	golang.org/x/sys v0.45.0 // indirect
	golang.org/x/time v0.14.0 // indirect
)
