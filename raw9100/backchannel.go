package raw9100

import (
	"errors"
	"net"
	"time"
)

// statusQuery asks for the device status now and for job start/end reports
// for the rest of the connection. It goes before the job's own PJL header.
const statusQuery = uel + "@PJL\r\n@PJL INFO STATUS\r\n@PJL USTATUS JOB=ON\r\n"

// backChannel reads the printer's PJL replies while the job is written. The
// reading goroutine is owned by the send: stop ends it and waits for it.
type backChannel struct {
	replies chan Reply
	done    chan struct{}
	err     error // why reading ended; set before done closes
	conn    net.Conn
}

// listen starts reading replies from conn.
func listen(conn net.Conn) *backChannel {
	b := &backChannel{replies: make(chan Reply, 16), done: make(chan struct{}), conn: conn}
	go func() {
		defer close(b.done)
		sc := scanReplies(conn)
		for sc.Scan() {
			r, err := ParseReply(sc.Bytes())
			if err != nil {
				continue // noise on the back channel is not the job's failure
			}
			select {
			case b.replies <- r:
			default: // nobody waits for more than a few; never block the reader
			}
		}
		b.err = sc.Err()
	}()
	return b
}

// stop ends the reader and waits for it.
func (b *backChannel) stop() {
	b.conn.SetReadDeadline(time.Now())
	<-b.done
}

// status sends the status query and waits for INFO STATUS. A printer that
// does not answer in time gives a nil status, not an error.
func (b *backChannel) status(conn net.Conn, opt Options) (*Status, error) {
	conn.SetWriteDeadline(time.Now().Add(opt.WriteTimeout))
	if _, err := conn.Write([]byte(statusQuery)); err != nil {
		return nil, err
	}
	t := time.NewTimer(opt.StatusTimeout)
	defer t.Stop()
	for {
		select {
		case r := <-b.replies:
			if st, ok := r.Status(); ok {
				return &st, nil
			}
		case <-b.done:
			return nil, b.readErr()
		case <-t.C:
			return nil, nil
		}
	}
}

// jobEnd waits, after the last byte, for the printer's USTATUS JOB END or
// for it to close. A reset means the printer dropped the job; silence until
// the timeout means it took every byte but did not report the end.
func (b *backChannel) jobEnd(conn net.Conn, job Job, timeout time.Duration) (pages int, confirmed bool, err error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	name := pjlString(job.Name)
	for {
		select {
		case r := <-b.replies:
			if p, ok := r.JobDone(name); ok {
				return p, true, nil
			}
		case <-b.done:
			for {
				select {
				case r := <-b.replies:
					if p, ok := r.JobDone(name); ok {
						return p, true, nil
					}
				default:
					return 0, false, b.readErr()
				}
			}
		case <-t.C:
			return 0, false, nil
		}
	}
}

// readErr is the reader's end as a send error: a clean close or a deadline
// is not one.
func (b *backChannel) readErr() error {
	var ne net.Error
	if b.err == nil || errors.As(b.err, &ne) && ne.Timeout() || errors.Is(b.err, ErrBadReply) {
		return nil
	}
	return b.err
}
