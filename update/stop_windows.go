package update

import "os"

// askToStop kills: a Windows process without a console has no signal to
// catch. The agent's spool is fsynced before every answer, so nothing held
// is lost.
func askToStop(p *os.Process) { p.Kill() }
