package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"time"
)

// readBuffer is the printer's read size; the same for every measurement.
const readBuffer = 256 << 10

// timeToPrinter starts a loopback printer that discards and counts, runs
// send against it and returns the time from the start of send until the
// printer has read want bytes and the end of the stream.
func timeToPrinter(want int64, send func(addr string) error) (time.Duration, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	got := make(chan int64, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- -1
			return
		}
		defer c.Close()
		buf := make([]byte, readBuffer)
		var n int64
		for {
			m, err := c.Read(buf)
			n += int64(m)
			if err != nil {
				break
			}
		}
		got <- n
	}()
	start := time.Now()
	if err := send(ln.Addr().String()); err != nil {
		return 0, err
	}
	n := <-got
	took := time.Since(start)
	if n != want {
		return 0, fmt.Errorf("%w: %d of %d", errShort, n, want)
	}
	return took, nil
}

// timeToLPD is timeToPrinter for an LPD that acknowledges everything and
// discards the data file.
func timeToLPD(want int64, send func(addr string) error) (time.Duration, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	got := make(chan int64, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- -1
			return
		}
		defer c.Close()
		got <- serveLPD(c)
	}()
	start := time.Now()
	if err := send(ln.Addr().String()); err != nil {
		return 0, err
	}
	n := <-got
	took := time.Since(start)
	if n != want {
		return 0, fmt.Errorf("%w: %d of %d", errShort, n, want)
	}
	return took, nil
}

func serveLPD(c net.Conn) int64 {
	r := bufio.NewReaderSize(c, readBuffer)
	if _, err := r.ReadString('\n'); err != nil {
		return -1
	}
	c.Write([]byte{0})
	var data int64
	for range 2 {
		line, err := r.ReadString('\n')
		if err != nil || len(line) < 2 {
			return -1
		}
		var size int64
		var name string
		if _, err := fmt.Sscanf(line[1:], "%d %s", &size, &name); err != nil {
			return -1
		}
		c.Write([]byte{0})
		n, err := io.CopyBuffer(io.Discard, io.LimitReader(r, size+1), make([]byte, readBuffer))
		if err != nil || n != size+1 {
			return -1
		}
		if line[0] == 3 {
			data = size
		}
		c.Write([]byte{0})
	}
	return data
}
