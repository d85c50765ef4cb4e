FROM scratch
LABEL a=1 \
  	
  b=2
LABEL c=3 \
# a comment line
  d=4
LABEL e=5 \
    # an indented comment line
  f=6
