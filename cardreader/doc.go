// Package cardreader runs the listeners that network card readers connect to
// (Elatec TCPConv on 7778, TCPConv2 on 7777, RF IDeas Ethernet 241 on 2001),
// dials readers that listen themselves (server mode), and turns what they
// send into card swipes.
//
// A reader sends each badge as a line of ASCII text ended by CR, LF or CRLF.
// Readers are told apart by their address, so a Swipe carries the peer's IP.
// Lines are limited in length; anything that is not a plausible card number
// (banners, prompts, binary noise) is dropped and logged, and the connection
// stays open for the next swipe. Connections have an idle deadline and each
// listener a cap on concurrent connections. Card numbers are normalised by
// conversion chains (Chain), data per reader model and per reader. README.md
// tells the protocol step by step.
package cardreader
