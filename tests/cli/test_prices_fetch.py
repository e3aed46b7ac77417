"""import-prices --fetch when the Retail Prices API cannot be reached or
answers with an error: exit 3, a message naming the URL, nothing stored,
and (under the sanitizer build) no sanitizer report: the failure path
releases only what the request filled in."""
import http.server
import os
import socket
import threading

from harness import CliTest, main, RUNTIME


class Answer500(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"error": {"code": "InternalError"}}'
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class PricesFetchFails(CliTest):
    def fetch(self, url):
        conf = os.path.join(self.tmp, "prices.conf")
        with open(conf, "w") as f:
            f.write("[costs]\nprices_url = %s\n" % url)
        r = self.expect(RUNTIME, "import-prices", "--fetch", config=conf)
        self.assertIn("cannot fetch prices", r.err)
        self.assertIn(url, r.err)
        self.assertEqual(self.scalar("SELECT count(*) FROM retail_prices"), 0)
        return r

    def test_a_closed_port(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()                           # nothing listens there now
        self.fetch("http://127.0.0.1:%d/api/retail/prices" % port)

    def test_a_server_answering_500(self):
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer500)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        try:
            r = self.fetch("http://127.0.0.1:%d/api/retail/prices"
                           % srv.server_address[1])
            self.assertIn("HTTP 500", r.err)
        finally:
            srv.shutdown()
            srv.server_close()


if __name__ == "__main__":
    main()
