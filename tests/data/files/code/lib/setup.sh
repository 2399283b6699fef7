#!/bin/sh
echo setup done
