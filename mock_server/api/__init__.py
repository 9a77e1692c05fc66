"""The API's request pipeline, without Flask: the request read off the WSGI environ, its
parameters and body validated by the spec, who is calling, and one handler per operation."""
